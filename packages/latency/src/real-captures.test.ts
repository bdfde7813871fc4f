import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import { runCapturePipeline } from "@tickscope/capture";
import { compileProtocol, type ProtocolDefinition } from "@tickscope/core/protocol";
import { describe, expect, it } from "vitest";
import { LatencyAnalyzer } from "./latency-analyzer.js";
import type { LatencyReport } from "./latency-report.js";

const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));
const loadExample = (name: string): ProtocolDefinition => JSON.parse(readFileSync(`${examples}${name}.json`, "utf8")) as ProtocolDefinition;
const skip = hasSharedCaptures ? "" : ` (${sharedCapturesSkipReason})`;

async function analyzeCapture(file: string, protocol: string, serverPorts?: number[]): Promise<LatencyReport> {
  const analyzer = new LatencyAnalyzer();
  const result = await runCapturePipeline({
    sources: [sharedCapturePath(file)],
    decoder: compileProtocol(loadExample(protocol)),
    serverPorts,
    analyzers: [analyzer],
  });
  return result.reports[0] as LatencyReport;
}

describe("real captures", () => {
  it.skipIf(!hasSharedCaptures)(`Firefall 1869: echo RTT from all 130 time-sync pairs, and ack RTT${skip}`, async () => {
    const report = await analyzeCapture("firefall_1869_gameplay.pcapng", "firefall", [25000, 59238]);
    const game = report.sessions.find((session) => session.server.endsWith(":59238"))!;
    const echo = game.series.find((series) => series.method === "echo")!;
    console.log("firefall 1869", JSON.stringify(game.series), JSON.stringify(game.spikes.map((spike) => [spike.startUs, spike.durationMs, spike.peakMs, spike.baselineMs, spike.causes[0]?.kind])));
    expect(echo.direction).toBe("clientToServer");
    expect(echo.samples).toBe(130);
    expect(echo.p50).toBeGreaterThan(50);
    expect(echo.p50).toBeLessThan(70);
    const ack = game.series.filter((series) => series.method === "ack");
    expect(ack.length).toBeGreaterThan(0);
    expect(ack.reduce((sum, series) => sum + series.samples, 0)).toBeGreaterThan(100);
  });

  for (const file of ["sipp_g711a.pcap", "ndpi_skinny.pcap"]) {
    it.skipIf(!hasSharedCaptures)(`RTP ${file}: per-stream mean and max jitter equal tshark's within 0.01 ms${skip}`, async () => {
      const expected: { ssrc: string; packets: number; mean: number; max: number }[] = [];
      for (const line of readFileSync(sharedCapturePath(`${file}.rtp-streams.txt`), "utf8").split("\n")) {
        const columns = line.trim().split(/\s+/);
        if (columns.length < 17 || !/^0x[0-9A-F]+$/i.test(columns[6])) continue;
        expected.push({ ssrc: String(Number(columns[6])), packets: Number(columns[8]), mean: Number(columns[15]), max: Number(columns[16]) });
      }
      expect(expected.length).toBeGreaterThan(0);
      const report = await analyzeCapture(file, "rtp");
      console.log(file, JSON.stringify(report.streams.map((stream) => [stream.ssrcOrChannel, stream.packets, stream.jitterMs])), JSON.stringify(expected));
      for (const stream of expected) {
        const measured = report.streams.find((entry) => entry.ssrcOrChannel === stream.ssrc && entry.packets === stream.packets)!;
        expect(measured).toBeDefined();
        // tshark prints 3 decimals; the issue asks for 0.01 ms, we hold 0.0015 ms (rounding of both sides).
        expect(Math.abs(measured.jitterMs.mean - stream.mean)).toBeLessThanOrEqual(0.0015);
        expect(Math.abs(measured.jitterMs.max - stream.max)).toBeLessThanOrEqual(0.0015);
      }
    });
  }
});
