import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasSharedCaptures, repositoryRoot, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import type { DatagramDecoder, MessageAnalyzer } from "@tickscope/core";
import { createLossAnalyzer } from "./loss-analyzer.js";
import type { LossReport } from "./report-schema.js";

// Loaded dynamically with a local shape so this package's typecheck does not
// depend on the build state of @tickscope/capture (a devDependency).
interface CaptureModule {
  runCapturePipeline(options: { sources: string[]; decoder: DatagramDecoder; analyzers: MessageAnalyzer<unknown>[] }): Promise<{ reports: unknown[] }>;
}
interface ProtocolModule {
  compileProtocol(definition: string): DatagramDecoder;
}

async function analyzeRtp(capture: string): Promise<LossReport> {
  const { runCapturePipeline } = (await import("@tickscope/capture")) as unknown as CaptureModule;
  const { compileProtocol } = (await import("@tickscope/core/protocol")) as unknown as ProtocolModule;
  const definition = readFileSync(join(repositoryRoot, "examples/protocols/rtp.json"), "utf8");
  const analyzer = createLossAnalyzer();
  const result = await runCapturePipeline({ sources: [sharedCapturePath(capture)], decoder: compileProtocol(definition), analyzers: [analyzer] });
  return result.reports[0] as LossReport;
}

interface TsharkStream {
  ssrc: string;
  packets: number;
  lost: number;
}

/** Parses tshark's `-z rtp,streams` table (read from ../shared, never copied). */
function parseTsharkRtpStreams(capture: string): TsharkStream[] {
  const text = readFileSync(sharedCapturePath(`${capture}.rtp-streams.txt`), "utf8");
  const streams: TsharkStream[] = [];
  const row = /^\s*[\d.]+\s+[\d.]+\s+\S+\s+\d+\s+\S+\s+\d+\s+(0x[0-9A-Fa-f]+)\s+\S+\s+(\d+)\s+(-?\d+)\s+\(/;
  for (const line of text.split("\n")) {
    const match = row.exec(line);
    if (match !== null) streams.push({ ssrc: String(Number.parseInt(match[1]!, 16)), packets: Number(match[2]), lost: Number(match[3]) });
  }
  return streams;
}

describe("RTP captures against tshark -z rtp,streams", () => {
  for (const capture of ["sipp_g711a.pcap", "ndpi_skinny.pcap"]) {
    it.skipIf(!hasSharedCaptures)(`${capture}: packets and lost per stream match tshark ${hasSharedCaptures ? "" : sharedCapturesSkipReason}`, async () => {
      const tshark = parseTsharkRtpStreams(capture);
      expect(tshark.length).toBeGreaterThan(0);
      const report = await analyzeRtp(capture);
      expect(report.sessions).toHaveLength(tshark.length);
      for (const stream of tshark) {
        const row = report.sessions.find((entry) => entry.protocolSessionId === stream.ssrc)!;
        expect(row, `SSRC ${stream.ssrc}`).toBeDefined();
        // RFC 3550 A.3 numbers are tshark's: packets incl. duplicates, lost = expected − packets.
        expect(row.rfc3550).toEqual({ expected: stream.packets + stream.lost, received: stream.packets, lost: stream.lost });
        // Our accounting: tshark's negative loss is packets captured twice (the skinny capture saw some
        // ~25 µs apart with the same IP identification): capture duplicates, not duplicates; nothing is
        // lost, resent or reordered in these captures.
        expect(row.lost).toBe(Math.max(0, stream.lost));
        expect(row.duplicates).toBe(0);
        expect(row.captureDuplicates).toBe(Math.max(0, -stream.lost));
        expect(row.received).toBe(stream.packets + Math.min(0, stream.lost));
        expect(row.sequenceBits).toBe(16);
        expect(row.resets.count).toBe(0);
      }
    });
  }

  it.skipIf(!hasSharedCaptures)(
    `ndpi_skinny.pcap: reports the two doubled streams as captured twice, not as duplicates or negative loss ${hasSharedCaptures ? "" : sharedCapturesSkipReason}`,
    async () => {
      const report = await analyzeRtp("ndpi_skinny.pcap");
      expect(report.sessions.filter((row) => row.duplicates > 0)).toEqual([]);
      const doubled = report.sessions.filter((row) => row.captureDuplicates > 0).map((row) => [row.captureDuplicates, row.lost, row.lossRate]);
      expect(doubled.sort()).toEqual([
        [16, 0, 0],
        [18, 0, 0],
      ]);
    },
  );
});
