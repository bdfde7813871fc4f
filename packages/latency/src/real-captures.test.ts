import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import { runCapturePipeline } from "@tickscope/capture";
import { compileProtocol, type ProtocolDefinition } from "@tickscope/core/protocol";
import { EchoRttMatcher, type GameMessage } from "@tickscope/core";
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

  it.skipIf(!hasSharedCaptures)(`Firefall 1869: ack RTT per RFC 9002 agrees with the time sync; no spike the time sync contradicts${skip}`, async () => {
    const echoSamples: { tUs: number; rttMs: number }[] = [];
    const matcher = new EchoRttMatcher((sample) => echoSamples.push({ tUs: sample.tUs, rttMs: sample.rttMs }));
    const analyzer = new LatencyAnalyzer();
    await runCapturePipeline({
      sources: [sharedCapturePath("firefall_1869_gameplay.pcapng")],
      decoder: compileProtocol(loadExample("firefall")),
      serverPorts: [25000, 59238],
      analyzers: [analyzer, { name: "echo", onMessage: (message: GameMessage) => matcher.onMessage(message), finish: () => ({}) }],
    });
    const report = analyzer.finish();
    const game = report.sessions.find((session) => session.server.endsWith(":59238"))!;
    // The headline is the time sync (the most direct measure); acks, now one sample per ack from the largest
    // newly acknowledged sequence of the channel the ack names, agree with it and are followed over time.
    expect(game.method).toBe("echo");
    expect(game.timeSeries).toEqual({ method: "ack", direction: "clientToServer" });
    const echo = game.series.find((series) => series.method === "echo")!;
    const ack = game.series.find((series) => series.method === "ack" && series.direction === "clientToServer")!;
    console.log("firefall 1869 after", JSON.stringify({ echo, ack, spikes: game.spikes.map((spike) => [spike.startUs, spike.durationMs, spike.peakMs]) }));
    expect(Math.abs(ack.p95 - echo.p95) / echo.p95).toBeLessThanOrEqual(0.2);
    expect(ack.max).toBeLessThan(2 * echo.max);
    expect(report.anomalies.E_RTT_ACK_CHANNEL_UNKNOWN).toBeUndefined();
    // No reported spike exceeds the largest time-sync RTT measured during it by more than 2×.
    for (const spike of game.spikes) {
      const during = echoSamples.filter((sample) => sample.tUs >= spike.startUs && sample.tUs <= spike.endUs).map((sample) => sample.rttMs);
      if (during.length > 0) expect(spike.peakMs).toBeLessThanOrEqual(2 * Math.max(...during));
    }
    expect(Math.max(...game.spikes.map((spike) => spike.peakMs))).toBeLessThan(2 * echo.max);
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
        expect(measured.restarts).toBe(0);
      }
    });
  }

  it.skipIf(!hasSharedCaptures)(`RTP ndpi_geforcenow.pcapng: no jitter where tshark measures none (dynamic payload type 96, unassigned 0x1: no known clock)${skip}`, async () => {
    // tshark prints 0.000 mean/max and −1 min jitter for both streams: its jitter ran on no packet.
    const expected = readFileSync(sharedCapturePath("ndpi_geforcenow.pcapng.rtp-streams.txt"), "utf8");
    expect(expected).toMatch(/0x00000002\s+RTPType-96\s+13\s+0 \(0\.0%\)\s+\S+\s+\S+\s+\S+\s+-1\.000\s+0\.000\s+0\.000/);
    const report = await analyzeCapture("ndpi_geforcenow.pcapng", "rtp");
    console.log("ndpi_geforcenow.pcapng", JSON.stringify(report.streams.map((stream) => [stream.ssrcOrChannel, stream.packets, stream.jitterMs])));
    for (const ssrc of ["1", "2"]) expect(report.streams.find((stream) => stream.ssrcOrChannel === ssrc)).toBeUndefined();
  });
});
