import type { GameMessage } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { LatencyAnalyzer } from "./latency-analyzer.js";
import type { LatencyAnalyzerState } from "./latency-analyzer-state.js";

// The README's "Saving and merging state" example, run as written.
describe("README: saving and merging state", () => {
  it("two session-sharded passes merge into the report of one pass", () => {
    const datagram = (sessionId: string, direction: GameMessage["direction"], tUs: number, packetIndex: number, roles: GameMessage["roles"]): GameMessage => ({
      sessionId, direction, tUs, packetIndex, indexInPacket: 0, type: "data", byteLength: 40, packetWireLength: 90, fields: {}, roles,
    });
    const passes = [new LatencyAnalyzer(), new LatencyAnalyzer()];
    const single = new LatencyAnalyzer();
    let packetIndex = 0;
    for (let n = 0; n < 300; n++) {
      const sendUs = 1.7e15 + n * 33_333;
      for (const [index, sessionId] of ["s1", "s2"].entries()) {
        const send = datagram(sessionId, "clientToServer", sendUs, packetIndex++, { sequence: n, sequenceBits: 16 });
        const ack = datagram(sessionId, "serverToClient", sendUs + (40 + 10 * index) * 1000, packetIndex++, { ack: n, ackBits: 0xffffffff });
        for (const message of [send, ack]) {
          passes[index].onMessage(message);
          single.onMessage(message);
        }
      }
    }
    const states: LatencyAnalyzerState[] = passes.map((pass) => JSON.parse(JSON.stringify(pass.saveState())));
    const merged = new LatencyAnalyzer();
    for (const state of states) merged.mergeState(state, { packetIndexOffset: 0 });
    const report = merged.finish();
    expect(report.sessions.map((session) => [session.id, session.rttMs.p50])).toEqual([
      ["s1", 40],
      ["s2", 50],
    ]);
    expect(JSON.stringify(report)).toBe(JSON.stringify(single.finish()));
  });
});
