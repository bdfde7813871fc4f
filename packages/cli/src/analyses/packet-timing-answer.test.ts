import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import { LatencyAnalyzer, PacketTimingAnalyzer, type PacketTimingReport } from "@tickscope/latency";
import type { Session } from "@tickscope/core";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runAnalyze } from "../run-analyze.js";
import { latencySection, packetTimingAnswer, packetTimingTable, withPacketTiming, type LatencyReportWithTiming } from "./latency.js";

const skip = hasSharedCaptures ? "" : ` (${sharedCapturesSkipReason})`;

/** A session with a 20 Hz server, a client at irregular ~30 Hz, and the server answering every client send 40 ms later. */
function answeringSession(): PacketTimingReport {
  const timing = new PacketTimingAnalyzer();
  const analyzer = withPacketTiming(new LatencyAnalyzer(), timing);
  analyzer.onSession?.({ id: "s", client: { address: "10.0.0.1", port: 5000 }, server: { address: "10.0.0.2", port: 7777 } } as unknown as Session);
  const arrivals: { tUs: number; direction: "clientToServer" | "serverToClient" }[] = [];
  let tUs = 1_700_000_000_000_000;
  for (let index = 0; index < 600; index++) {
    tUs += 25_000 + ((index * 7919) % 17) * 1000;
    arrivals.push({ tUs, direction: "clientToServer" }, { tUs: tUs + 40_000, direction: "serverToClient" });
  }
  arrivals.sort((left, right) => left.tUs - right.tUs);
  for (const [index, arrival] of arrivals.entries()) {
    analyzer.onPacket?.({ sessionId: "s", direction: arrival.direction, tUs: arrival.tUs, packetIndex: index, wireLength: 100, payloadLength: 58, frameCount: 1 });
  }
  analyzer.onAnomaly?.({} as never);
  const report = analyzer.finish();
  expect(report.sessions).toEqual([]);
  return report.packetTiming!;
}

describe("latency without a definition: packet timing (issue 15 item 1)", () => {
  it("the answer says what is not measured first, then timing and an RTT estimate with its confidence, never a measured RTT", () => {
    const packetTiming = answeringSession();
    const report = { sessions: [], streams: [], findings: [], anomalies: {}, packetTiming } as unknown as LatencyReportWithTiming;
    const section = latencySection(report, { definition: undefined });
    expect(section.answer[0]).toMatch(/^Not measured: no protocol definition was given .* follows \(packet-timing table\)\.$/);
    expect(section.answer[1]).toMatch(/^Packet timing from arrival times \(1 session\(s\); busiest s\): client→server .* packets\/s, tick .* Hz .*; server→client/);
    expect(section.answer[2]).toMatch(/^RTT estimate \(not measured: server answer lag after client sends\) 40(\.\d+)? ms, high confidence/);
    expect(section.tables[0]!.name).toBe("packet-timing");
    expect(section.metrics.map((metric) => metric.name)).toEqual([
      "tickscope_packets_per_second",
      "tickscope_tick_rate_hz",
      "tickscope_tick_jitter_ms",
      "tickscope_packets_per_second",
      "tickscope_tick_rate_hz",
      "tickscope_tick_jitter_ms",
      "tickscope_answer_lag_ms",
      ...(section.metrics.length > 7 ? ["tickscope_answer_lag_ms"] : []),
    ]);
    expect(section.metrics[6]!.labels).toEqual({ session: "s", requestDirection: "clientToServer", confidence: "high" });
    const rows = section.tables[0]!.rows;
    expect(rows.map((row) => row.direction)).toEqual(["clientToServer", "serverToClient"]);
    expect(rows[0]!.answeredConfidence).toBe("high");
    expect(Math.abs((rows[0]!.answeredAfterMs as number) - 40)).toBeLessThan(1);
  });

  it("one-direction and empty timing reports say why there is no estimate", () => {
    expect(packetTimingAnswer({ method: "", sessions: [] })).toEqual(["Packet timing: no UDP datagram in a session."]);
    const oneWay = answeringSession();
    oneWay.sessions[0]!.directions.pop();
    oneWay.sessions[0]!.responseTiming = [];
    expect(packetTimingAnswer(oneWay)[1]).toBe("No RTT estimate: only one direction carried datagrams.");
    const none = answeringSession();
    none.sessions[0]!.responseTiming[0] = { ...none.sessions[0]!.responseTiming[0]!, lagMs: null, reason: "no lag stands out" };
    none.sessions[0]!.responseTiming[1] = { ...none.sessions[0]!.responseTiming[0]!, requestDirection: "serverToClient", lagMs: 0.1, confidence: "medium", reason: "r" };
    none.sessions.push({ ...none.sessions[0]!, id: "t", directions: [] });
    const lines = packetTimingAnswer(none);
    expect(lines[1]).toBe("No RTT estimate: no lag stands out.");
    expect(lines[2]).toMatch(/^The client answers the server's sends after 0\.1 ms \(medium confidence: r\)/);
    expect(lines[3]).toBe("1 of 2 session(s) have enough send events for a tick (8 or more intervals).");
    expect(packetTimingTable(none).rows).toHaveLength(2);
  });

  it.skipIf(!hasSharedCaptures)(`tickscope analyze firefall_1869 without --protocol: the packet-timing table, and an RTT estimate near the time sync's 52.7 ms at low confidence${skip}`, async () => {
    const result = await runAnalyze({ inputs: [{ path: sharedCapturePath("firefall_1869_gameplay.pcapng") }], analyses: ["latency"] });
    const section = result.sections[0]!;
    console.log(section.answer.join("\n"));
    expect(section.answer[0]).toMatch(/^Not measured: no protocol definition/);
    expect(section.answer[2]).toMatch(/^RTT estimate \(not measured: .*\) 5\d\.\d+ ms, low confidence/);
    const rows = section.tables.find((table) => table.name === "packet-timing")!.rows;
    expect(rows[0]).toMatchObject({ session: "udp:192.168.1.111:58637-52.16.251.62:59238", direction: "clientToServer", packets: 4860, answeredConfidence: "low" });
  });

  it.skipIf(!hasSharedCaptures)(`with --protocol the latency report has no packet timing${skip}`, async () => {
    const result = await runAnalyze({
      inputs: [{ path: sharedCapturePath("sipp_g711a.pcap") }],
      protocolPath: fileURLToPath(new URL("../../../../examples/protocols/rtp.json", import.meta.url)),
      analyses: ["latency"],
    });
    expect((result.sections[0]!.report as LatencyReportWithTiming).packetTiming).toBeUndefined();
  });
});
