import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasSharedCaptures, repositoryRoot, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import type { DatagramDecoder, MessageAnalyzer, Packet } from "@tickscope/core";
import { createLossAnalyzer } from "./loss-analyzer.js";
import type { LossReport, ReliableSyncImpact } from "./report-schema.js";

// Loaded dynamically with a local shape so this package's typecheck does not
// depend on the build state of @tickscope/capture (a devDependency).
interface CaptureModule {
  runCapturePipeline(options: {
    sources: string[];
    decoder: DatagramDecoder;
    analyzers: MessageAnalyzer<unknown>[];
    serverPorts: number[];
  }): Promise<{ reports: unknown[] }>;
  readCapture(source: string, options: { onPacket(packet: Packet): void }): Promise<unknown>;
}
interface ProtocolModule {
  compileProtocol(definition: string): DatagramDecoder;
}

const CAPTURE = "firefall_1869_gameplay.pcapng";
const GAMEPLAY_PORT = 59238;

/**
 * Independent count of the unreliable-channel (3) sequence gaps per direction,
 * straight from the bytes (socket id, then 16-bit packet headers: channel
 * bits 15–14, length bits 10–0, u16 sequence), without the protocol compiler
 * or the analyzer.
 */
async function countUnreliableGaps(capture: CaptureModule): Promise<Record<string, { unique: number; span: number }>> {
  const seen: Record<string, Set<number>> = { clientToServer: new Set(), serverToClient: new Set() };
  await capture.readCapture(sharedCapturePath(CAPTURE), {
    onPacket(packet) {
      if (packet.transport !== "udp") return;
      const direction = packet.destinationPort === GAMEPLAY_PORT ? "clientToServer" : packet.sourcePort === GAMEPLAY_PORT ? "serverToClient" : undefined;
      const payload = packet.payload;
      if (direction === undefined || payload.length < 6) return;
      if (((payload[0]! << 24) | (payload[1]! << 16) | (payload[2]! << 8) | payload[3]!) === 0) return;
      let offset = 4;
      while (offset + 2 <= payload.length) {
        const header = (payload[offset]! << 8) | payload[offset + 1]!;
        const length = header & 0x7ff;
        if (length < 2 || offset + length > payload.length) break;
        if (header >> 14 === 3 && length >= 4) seen[direction]!.add((payload[offset + 2]! << 8) | payload[offset + 3]!);
        offset += length;
      }
    },
  });
  const result: Record<string, { unique: number; span: number }> = {};
  for (const [direction, sequences] of Object.entries(seen)) {
    // Unwrap around the largest hole in the circular 16-bit space.
    const sorted = [...sequences].sort((a, b) => a - b);
    let largestHole = 65536 - sorted[sorted.length - 1]! + sorted[0]!;
    for (let index = 1; index < sorted.length; index++) largestHole = Math.max(largestHole, sorted[index]! - sorted[index - 1]!);
    result[direction] = { unique: sorted.length, span: 65536 - largestHole + 1 };
  }
  return result;
}

describe(`Firefall 1869 gameplay capture`, () => {
  it.skipIf(!hasSharedCaptures)(
    `reports unreliable-channel gaps and reliable-channel resends per direction ${hasSharedCaptures ? "" : sharedCapturesSkipReason}`,
    async () => {
      const capture = (await import("@tickscope/capture")) as unknown as CaptureModule;
      const { compileProtocol } = (await import("@tickscope/core/protocol")) as unknown as ProtocolModule;
      const definition = readFileSync(join(repositoryRoot, "examples/protocols/firefall.json"), "utf8");
      const analyzer = createLossAnalyzer();
      const result = await capture.runCapturePipeline({
        sources: [sharedCapturePath(CAPTURE)],
        decoder: compileProtocol(definition),
        analyzers: [analyzer],
        serverPorts: [25000, GAMEPLAY_PORT],
      });
      const report = result.reports[0] as LossReport;
      const independent = await countUnreliableGaps(capture);
      const gameplay = report.sessions.filter((row) => row.id.endsWith(`:${GAMEPLAY_PORT}`));
      for (const direction of ["clientToServer", "serverToClient"] as const) {
        const unreliable = gameplay.find((row) => row.direction === direction && row.channel === "3")!;
        expect(unreliable.messageType).toBe("unreliableGss");
        // Same numbers as the independent byte-level count: expected = sequence span, lost = holes.
        expect(unreliable.expected).toBe(independent[direction]!.span);
        expect(unreliable.received).toBe(independent[direction]!.unique);
        expect(unreliable.resets.count).toBe(0);
        expect(unreliable.strays).toBe(0);
        for (const channel of ["1", "2"]) {
          const reliable = report.syncImpact.find(
            (entry): entry is ReliableSyncImpact => entry.kind === "reliable" && entry.direction === direction && entry.channel === channel && entry.id.endsWith(`:${GAMEPLAY_PORT}`),
          )!;
          expect(reliable.resends).toBeGreaterThan(0);
          expect(reliable.retransmissionDelayMs.count).toBeGreaterThan(0);
          // Reliable channels lose nothing in the end (everything lost was resent).
          expect(gameplay.find((row) => row.direction === direction && row.channel === channel)!.lost).toBe(0);
        }
      }
      const downlink = gameplay.find((row) => row.direction === "serverToClient" && row.channel === "3")!;
      // The server → client unreliable channel shows real gaps (27 of 27 326 in this capture).
      expect(downlink.lost).toBeGreaterThan(0);
      expect(downlink.lossRate).toBeLessThan(0.01);
      // Acks on the control channel mapped to the channel they acknowledge.
      const acked = gameplay.find((row) => row.direction === "serverToClient" && row.channel === "2")!;
      expect(acked.senderView).not.toBeNull();
      expect(acked.senderView!.acknowledged).toBeGreaterThan(0);
    },
    120_000,
  );
});
