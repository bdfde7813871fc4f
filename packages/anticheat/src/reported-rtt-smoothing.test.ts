import type { GameMessage } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { AnticheatAnalyzer } from "./anticheat-analyzer.js";
import type { AnticheatOptions } from "./options.js";
import { Random } from "./test-support/random.js";
import { StreamBuilder } from "./test-support/stream-builder.js";

const T0 = 1_760_000_000_000_000;
const CLOCK0 = 7_000_000_000;
const FRAME_US = 1_000_000 / 30;

interface Scenario {
  /** A real latency spike on both directions: start and end (s from the start) and extra one-way delay, ms. */
  spike?: { fromS: number; toS: number; extraMs: number };
  /** Added to the client's reported RTT (a fake-latency cheat), ms. */
  inflationMs?: number;
}

/**
 * One client at 30 Hz (inputs with claimed time and ack of the newest server
 * datagram), a server at 30 Hz (snapshots with sequence). The client reports
 * the RTT it measures once a second smoothed as TCP's SRTT (gain 1/8): after a
 * real spike its report decays for ~15 s while the wire is back to normal.
 */
function match(scenario: Scenario, seconds = 50): GameMessage[] {
  const builder = new StreamBuilder("udp:client-server");
  const random = new Random(3);
  const oneWayMs = (tUs: number) => {
    const spike = scenario.spike;
    const inSpike = spike !== undefined && tUs >= T0 + spike.fromS * 1e6 && tUs < T0 + spike.toS * 1e6;
    return 40 + random.exponential(2) + (inSpike ? spike.extraMs : 0);
  };
  const endUs = T0 + seconds * 1e6;
  const server: Array<{ sequence: number; arriveUs: number }> = [];
  const out: Array<{ tUs: number; emit: () => void }> = [];
  let sequence = 1;
  for (let tUs = T0; tUs < endUs; tUs += FRAME_US) {
    const at = tUs;
    const roles = { sequence, sequenceBits: 16 };
    out.push({ tUs: at, emit: () => builder.server(at, "snapshot", roles) });
    server.push({ sequence, arriveUs: tUs + oneWayMs(tUs) * 1000 });
    sequence += 1;
  }
  server.sort((a, b) => a.arriveUs - b.arriveUs);
  let cursor = 0;
  let ack: number | undefined;
  let smoothedMs = Number.NaN;
  let nextPingUs = T0;
  for (let frame = 0; ; frame++) {
    const realUs = T0 + frame * FRAME_US;
    if (realUs >= endUs) break;
    while (cursor < server.length && server[cursor]!.arriveUs <= realUs) ack = server[cursor++]!.sequence;
    if (realUs >= nextPingUs) {
      // The client's own RTT measurement (a ping answered at once), smoothed.
      const rttMs = oneWayMs(realUs) + oneWayMs(realUs);
      smoothedMs = Number.isNaN(smoothedMs) ? rttMs : smoothedMs + (rttMs - smoothedMs) / 8;
      nextPingUs += 1e6;
    }
    const roles: GameMessage["roles"] = { sendTimeUs: CLOCK0 + frame * FRAME_US, sequence: frame, sequenceBits: 16, inputSequence: frame, inputCount: 1 };
    if (ack !== undefined) roles.ack = ack;
    if (frame % 6 === 0) roles.reportedRttMs = Math.round(smoothedMs + (scenario.inflationMs ?? 0));
    const arriveUs = realUs + oneWayMs(realUs) * 1000;
    out.push({ tUs: arriveUs, emit: () => builder.client(arriveUs, "input", roles) });
  }
  out.sort((a, b) => a.tUs - b.tUs);
  for (const entry of out) entry.emit();
  return builder.messages;
}

function fakeLatency(messages: readonly GameMessage[], options: Partial<AnticheatOptions> = {}) {
  const analyzer = new AnticheatAnalyzer(options);
  for (const message of messages) analyzer.onMessage(message);
  const report = analyzer.finish();
  return { finding: report.findings.find((entry) => entry.kind === "fakeLatency"), report };
}

describe("reported RTT smoothed by the client after a real latency spike", () => {
  const spike = { fromS: 20, toS: 22, extraMs: 250 };

  it("is not fake latency: the measured RTT rose first and the report only decays back", () => {
    const { finding, report } = fakeLatency(match({ spike }));
    expect(finding).toBeUndefined();
    expect(report.players[0]!.verdict).toBe("clean");
  });

  it("was fake latency without the smoothing credit (the demo's false 'cheating' on player 14)", () => {
    const { finding } = fakeLatency(match({ spike }), { reportedRttSmoothingMs: 0 });
    expect(finding).toBeDefined();
    expect(finding!.startUs).toBeGreaterThanOrEqual(T0 + 22e6);
    expect(finding!.evidence.values.smoothingCreditMs).toBe(0);
  });

  it("still finds a report inflated without the measured RTT rising, with or without a spike", () => {
    for (const scenario of [{ inflationMs: 100 }, { inflationMs: 100, spike }]) {
      const { finding } = fakeLatency(match(scenario));
      expect(finding, JSON.stringify(scenario)).toBeDefined();
      expect(finding!.evidence.values.excessMs).toBeGreaterThan(60);
    }
  });
});
