import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repositoryRoot } from "@tickscope-test/support";
import type { DatagramDecoder, MessageAnalyzer } from "@tickscope/core";
import { createUdpEndpoint, MemorySink, PcapngWriter } from "@tickscope/sim";
import { createLossAnalyzer } from "./loss-analyzer.js";
import type { LossReport } from "./report-schema.js";

// Loaded dynamically with a local shape (as rtp-capture.test.ts) so this package's typecheck does not depend on the build of @tickscope/capture.
interface CaptureModule {
  runCapturePipeline(options: { sources: Uint8Array[]; decoder: DatagramDecoder; analyzers: MessageAnalyzer<unknown>[] }): Promise<{ reports: unknown[] }>;
}
interface ProtocolModule {
  compileProtocol(definition: string): DatagramDecoder;
}

/**
 * One RTP stream (SSRC 0x5eedc0de, 20 ms PCMU) through rtp.json: 40 packets, an RFC 4733 event (PT 101, repeated
 * timestamp), 40 packets, a 2 s pause in which the sender's sequence ran on by 100 and its timestamp by 2 s, 40
 * packets, then a fax switch-over to PCMA with the timestamp restarted and the sequence continuing, 40 packets.
 */
function callWithPause(): Uint8Array {
  const sink = new MemorySink();
  const writer = new PcapngWriter(sink);
  const source = createUdpEndpoint("192.0.2.10", 16384);
  const destination = createUdpEndpoint("198.51.100.20", 5004);
  let sequence = 65_500;
  let timestamp = 1_000;
  let sendMs = 0;
  const send = (payloadType: number, count: number, advanceTimestamp: boolean): void => {
    for (let index = 0; index < count; index++) {
      const bytes = new Uint8Array(12 + 160);
      const view = new DataView(bytes.buffer);
      bytes[0] = 0x80;
      bytes[1] = payloadType;
      view.setUint16(2, sequence & 0xffff);
      view.setUint32(4, timestamp >>> 0);
      view.setUint32(8, 0x5eedc0de);
      writer.writeUdp(Date.UTC(2026, 0, 5) * 1000 + sendMs * 1000 + 10_000 + (index % 3) * 300, source, destination, bytes);
      sequence += 1;
      sendMs += 20;
      if (advanceTimestamp) timestamp += 160;
    }
  };
  send(0, 40, true);
  send(101, 5, false);
  timestamp += 5 * 160;
  send(0, 40, true);
  sequence += 99;
  sendMs += 1980;
  timestamp += 99 * 160;
  send(0, 40, true);
  timestamp = 3_000;
  send(8, 40, true);
  writer.close();
  return sink.toUint8Array();
}

describe("RTP: a pause is not loss, a timestamp reset is not loss", () => {
  it("reports the 2 s pause (sequence +100 with a matching timestamp jump) as a pause candidate and loses nothing", async () => {
    const { runCapturePipeline } = (await import("@tickscope/capture")) as unknown as CaptureModule;
    const { compileProtocol } = (await import("@tickscope/core/protocol")) as unknown as ProtocolModule;
    const definition = readFileSync(join(repositoryRoot, "examples/protocols/rtp.json"), "utf8");
    const analyzer = createLossAnalyzer();
    const result = await runCapturePipeline({ sources: [callWithPause()], decoder: compileProtocol(definition), analyzers: [analyzer] });
    const report = result.reports[0] as LossReport;
    expect(report.sessions).toHaveLength(1);
    const row = report.sessions[0]!;
    // Events, audio before and after the fax switch share one sequence space (the SSRC).
    expect(row.messageType).toBe("rtp+telephoneEvent");
    expect(row.received).toBe(165);
    expect(row.lost).toBe(0);
    expect(row.resets.count).toBe(1);
    expect(row.resets.candidates[0]).toMatchObject({ reason: "pause", skippedSequences: 99 });
    // tshark's RFC 3550 A.3 figure counts the pause as 99 lost; ours keeps that figure beside it.
    expect(row.rfc3550).toEqual({ expected: 264, received: 165, lost: 99 });
  });
});
