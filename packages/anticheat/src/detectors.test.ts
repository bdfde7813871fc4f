import type { GameMessage } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { AnticheatAnalyzer } from "./anticheat-analyzer.js";
import type { AnticheatOptions } from "./options.js";
import { Random } from "./test-support/random.js";
import { StreamBuilder } from "./test-support/stream-builder.js";

const T0 = 1_760_000_000_000_000;
const CLOCK0 = 5_000_000_000;
const FRAME_US = 1_000_000 / 60;

function analyze(messages: readonly GameMessage[], options: Partial<AnticheatOptions> = {}, anomalies: Parameters<AnticheatAnalyzer["onAnomaly"]>[0][] = []) {
  const analyzer = new AnticheatAnalyzer(options);
  const events: Array<{ tUs: number; run: () => void }> = [
    ...messages.map((message) => ({ tUs: message.tUs, run: () => analyzer.onMessage(message) })),
    ...anomalies.map((anomaly) => ({ tUs: anomaly.tUs, run: () => analyzer.onAnomaly(anomaly) })),
  ];
  events.sort((a, b) => a.tUs - b.tUs);
  for (const event of events) event.run();
  return analyzer.finish();
}

function kinds(report: ReturnType<typeof analyze>): string[] {
  return report.findings.map((finding) => finding.kind);
}

interface ClientOptions {
  seconds: number;
  rate?: number;
  delayMs?: number;
  jitterMs?: number;
  withServer?: boolean;
  holds?: Array<[number, number]>;
  twoWayStalls?: boolean;
  reportedRttMs?: (rttMs: number) => number;
  shotEveryMs?: number;
  shotExtraDelayMs?: number;
  rewindMs?: number;
  speed?: number;
  seed?: number;
  builder?: StreamBuilder;
  startUs?: number;
}

/**
 * A simple client at 60 Hz (inputs with position and ack), a server at 20 Hz
 * (snapshots with sequence, a ping each second) and pongs; options inject cheats.
 */
function simulate(options: ClientOptions): StreamBuilder {
  const builder = options.builder ?? new StreamBuilder();
  const random = new Random(options.seed ?? 1);
  const start = options.startUs ?? T0;
  const rate = options.rate ?? 1;
  const delayUs = (options.delayMs ?? 20) * 1000;
  const jitter = () => random.exponential((options.jitterMs ?? 1) * 1000);
  const endUs = start + options.seconds * 1e6;
  const stalled = (tUs: number) => (options.holds ?? []).find(([from, to]) => tUs >= start + from * 1000 && tUs < start + to * 1000);
  type Out = { tUs: number; emit: () => void };
  const out: Out[] = [];
  const serverTimes: Array<{ sequence: number; arriveUs: number; ping: number }> = [];
  let sequence = 100;
  let ping = 0;
  if (options.withServer !== false) {
    for (let tUs = start; tUs < endUs; tUs += 50_000) {
      const isPing = (tUs - start) % 1_000_000 === 0;
      const roles = isPing ? { sequence, sequenceBits: 16, echoKey: String(++ping), echoPhase: "request" as const } : { sequence, sequenceBits: 16 };
      const at = tUs;
      out.push({ tUs: at, emit: () => builder.server(at, isPing ? "ping" : "snapshot", roles) });
      let arrive = tUs + delayUs + jitter();
      const stall = options.twoWayStalls ? stalled(tUs) : undefined;
      if (stall !== undefined) arrive = start + stall[1] * 1000 + delayUs;
      serverTimes.push({ sequence, arriveUs: arrive, ping: isPing ? ping : -1 });
      sequence += 1;
    }
  }
  serverTimes.sort((a, b) => a.arriveUs - b.arriveUs);
  let cursor = 0;
  let ack: number | undefined;
  const pongs: number[] = [];
  let clientSequence = 0;
  let x = 0;
  let nextShotUs = 0;
  for (let frame = 0; ; frame++) {
    const claimed = CLOCK0 + frame * FRAME_US;
    const realUs = start + (frame * FRAME_US) / rate;
    if (realUs >= endUs) break;
    while (cursor < serverTimes.length && serverTimes[cursor]!.arriveUs <= realUs) {
      ack = serverTimes[cursor]!.sequence;
      if (serverTimes[cursor]!.ping > 0) pongs.push(serverTimes[cursor]!.ping);
      cursor += 1;
    }
    x += (options.speed ?? 5) / 60;
    const send = (type: string, roles: GameMessage["roles"], extraUs = 0) => {
      roles.sequence = clientSequence++;
      roles.sequenceBits = 16;
      if (ack !== undefined) roles.ack = ack;
      const hold = stalled(realUs);
      const departUs = hold !== undefined ? start + hold[1] * 1000 + (realUs - start - hold[0] * 1000) / 100 : realUs + extraUs;
      const arrive = departUs + delayUs + jitter();
      out.push({ tUs: arrive, emit: () => builder.client(arrive, type, roles) });
    };
    const inputRoles: GameMessage["roles"] = { sendTimeUs: claimed, inputSequence: frame, inputCount: 1, position: { x, y: 0, z: 0 } };
    if (options.reportedRttMs !== undefined && frame % 30 === 0) inputRoles.reportedRttMs = options.reportedRttMs(2 * (options.delayMs ?? 20));
    send("input", inputRoles);
    while (pongs.length > 0) send("pong", { sendTimeUs: claimed, echoKey: String(pongs.shift()), echoPhase: "reply" });
    if (options.shotEveryMs !== undefined && claimed >= nextShotUs) {
      nextShotUs = claimed + options.shotEveryMs * 1000 * (0.5 + random.next());
      const rewindUs = (options.rewindMs ?? 100 + (options.delayMs ?? 20)) * 1000;
      send("shot", { sendTimeUs: claimed, targetTimeUs: claimed - rewindUs, position: { x, y: 0, z: 0 } }, (options.shotExtraDelayMs ?? 0) * 1000);
    }
  }
  out.sort((a, b) => a.tUs - b.tUs);
  for (const entry of out) entry.emit();
  return builder;
}

describe("honest baseline", () => {
  it("an honest client with jitter, shots and pings has no findings", () => {
    const report = analyze(simulate({ seconds: 40, jitterMs: 10, shotEveryMs: 700, reportedRttMs: (rtt) => rtt + 5 }).messages);
    expect(report.findings).toEqual([]);
    expect(report.players).toEqual([{ player: "session-a", session: "session-a", verdict: "clean", score: 0, kinds: [] }]);
    expect(report.summary.sessions).toBe(1);
  });
});

describe("speedhack", () => {
  it("flags a client clock running 10% fast, with the measured rate as evidence", () => {
    const report = analyze(simulate({ seconds: 40, rate: 1.1, jitterMs: 5 }).messages);
    const finding = report.findings.find((entry) => entry.kind === "speedhack")!;
    expect(finding).toBeDefined();
    expect(finding.evidence.values.meanClockRate).toBeCloseTo(1.1, 2);
    expect(finding.mitigation).toMatch(/server time/);
    expect(report.players[0]!.verdict).not.toBe("clean");
  });

  it("tolerates crystal drift (200 ppm)", () => {
    expect(kinds(analyze(simulate({ seconds: 40, rate: 1.0002, jitterMs: 5 }).messages))).not.toContain("speedhack");
  });
});

describe("input flooding", () => {
  it("flags more commands per claimed second than the budget", () => {
    const builder = new StreamBuilder();
    for (let index = 0; index < 150 * 6; index++) {
      const claimed = CLOCK0 + Math.floor(index / 2.5) * FRAME_US;
      builder.client(T0 + index * 4000, "input", { sendTimeUs: claimed, inputSequence: index });
    }
    const finding = analyze(builder.messages).findings.find((entry) => entry.kind === "inputFlooding")!;
    expect(finding.evidence.values.maxCommandsPerSecond).toBeGreaterThan(90);
  });

  it("flags commands per tick over budget when only ticks are claimed", () => {
    const builder = new StreamBuilder();
    for (let tick = 0; tick < 60; tick++) {
      for (let copy = 0; copy < 4; copy++) builder.client(T0 + tick * 16_000 + copy * 100, "input", { tick: 1000 + tick, inputSequence: tick * 4 + copy });
    }
    builder.client(T0 + 60 * 16_000, "input", { tick: 999, inputSequence: 1 });
    const finding = analyze(builder.messages).findings.find((entry) => entry.kind === "inputFlooding")!;
    expect(finding.evidence.values.maxCommandsPerTick).toBe(4);
    expect(finding.evidence.values.overBudgetTicks).toBe(60);
  });
});

describe("lag switch", () => {
  it("flags outgoing holds flushed while the client kept acknowledging", () => {
    const report = analyze(simulate({ seconds: 30, holds: [[10_000, 11_200], [20_000, 21_000]] }).messages);
    const finding = report.findings.find((entry) => entry.kind === "lagSwitch")!;
    expect(finding.evidence.values.events).toBe(2);
    expect(finding.evidence.values.longestSilenceMs).toBeGreaterThan(1000);
    expect(finding.evidence.packetIndices.length).toBeGreaterThan(0);
    expect(finding.startUs).toBeGreaterThan(T0 + 9.9e6);
  });

  it("does not flag a two-way stall (acknowledgements froze) or a lossy outage", () => {
    expect(kinds(analyze(simulate({ seconds: 30, holds: [[10_000, 11_200]], twoWayStalls: true }).messages))).not.toContain("lagSwitch");
    const lossy = simulate({ seconds: 30 }).messages.filter((message) => !(message.direction === "clientToServer" && message.tUs > T0 + 10e6 && message.tUs < T0 + 12e6));
    expect(kinds(analyze(lossy))).toEqual([]);
  });

  it("without server traffic, needs a long silence", () => {
    expect(kinds(analyze(simulate({ seconds: 30, withServer: false, holds: [[10_000, 11_500], [20_000, 21_500]] }).messages))).toContain("lagSwitch");
    expect(kinds(analyze(simulate({ seconds: 30, withServer: false, holds: [[10_000, 10_600], [20_000, 20_600]] }).messages))).not.toContain("lagSwitch");
  });

  it("needs the switch used more than once by default (one stall can be an honest uplink)", () => {
    const once = simulate({ seconds: 30, holds: [[10_000, 11_200]] }).messages;
    expect(kinds(analyze(once))).not.toContain("lagSwitch");
    expect(kinds(analyze(once, { lagSwitchMinEvents: 1 }))).toContain("lagSwitch");
  });

  it("discards flushes shared by several sessions at once (path outage)", () => {
    const builders = ["a", "b", "c", "d", "e"].map((name, index) =>
      simulate({ seconds: 20, holds: [[5_000, 5_800], [10_000, 10_800]], builder: new StreamBuilder(`session-${name}`), seed: index + 1 }),
    );
    const messages = builders.flatMap((builder) => builder.messages).sort((a, b) => a.tUs - b.tUs);
    const report = analyze(messages);
    expect(kinds(report)).not.toContain("lagSwitch");
    expect(report.summary.sharedOutagesDiscarded).toBe(10);
    expect(kinds(analyze(messages, { lagSwitchSharedOutageSessions: 0 })).filter((kind) => kind === "lagSwitch")).toHaveLength(5);
  });
});

describe("fake latency", () => {
  it("flags a reported RTT far above the measured one", () => {
    const report = analyze(simulate({ seconds: 30, reportedRttMs: (rtt) => rtt + 150 }).messages);
    const finding = report.findings.find((entry) => entry.kind === "fakeLatency")!;
    // Inflated from the first report: the first ~10 s are credited as an SRTT's first-sample transient.
    expect(finding.evidence.values.excessMs).toBeGreaterThan(90);
    expect(finding.evidence.values.reportedRttMedianMs).toBeGreaterThan(150);
    expect(finding.evidence.values.measuredRttMedianMs).toBeLessThan(60);
  });

  it("flags shots held back while movement is not", () => {
    const finding = analyze(simulate({ seconds: 30, shotEveryMs: 500, shotExtraDelayMs: 120, rewindMs: 120 }).messages).findings.find(
      (entry) => entry.kind === "fakeLatency",
    )!;
    expect(finding.evidence.values.messageType).toBe("shot");
    expect(finding.evidence.values.medianExtraDelayMs).toBeGreaterThan(100);
  });

  it("uses the echo direction that measures the real RTT (client-side capture)", () => {
    const builder = new StreamBuilder();
    for (let index = 0; index < 30; index++) {
      const tUs = T0 + index * 1e6;
      builder.client(tUs, "ping", { echoKey: `k${index}`, echoPhase: "request", sendTimeUs: CLOCK0 + index * 1e6, reportedRttMs: 60 });
      builder.server(tUs + 60_000, "pong", { echoKey: `k${index}`, echoPhase: "reply" });
      builder.server(tUs + 500_000, "ping", { echoKey: `s${index}`, echoPhase: "request" });
      builder.client(tUs + 500_200, "pong", { echoKey: `s${index}`, echoPhase: "reply", sendTimeUs: CLOCK0 + index * 1e6 + 500_000 });
    }
    builder.server(T0 + 40e6, "pong", { echoKey: "unknown", echoPhase: "reply" });
    expect(kinds(analyze(builder.messages))).toEqual([]);
  });
});

describe("rewind abuse", () => {
  it("flags rewinds beyond interpolation + RTT/2", () => {
    const finding = analyze(simulate({ seconds: 20, shotEveryMs: 400, rewindMs: 450 }).messages).findings.find((entry) => entry.kind === "rewindAbuse")!;
    expect(finding.evidence.values.medianRewindMs).toBeCloseTo(450, 0);
    expect(finding.evidence.values.medianExcessMs).toBeGreaterThan(300);
  });

  it("flags rewinds beyond the compensation window even without RTT", () => {
    const finding = analyze(simulate({ seconds: 20, withServer: false, shotEveryMs: 400, rewindMs: 800 }).messages).findings.find(
      (entry) => entry.kind === "rewindAbuse",
    )!;
    expect(finding.evidence.values.medianExcessMs).toBe("unknown");
    expect(finding.evidence.values.beyondWindow).toBeGreaterThan(10);
  });
});

describe("rewind in the server's clock", () => {
  it("reads a target in the capture clock (truncated to 48 bits) and compares it with a full RTT", () => {
    const builder = simulate({ seconds: 20 });
    const honest = new StreamBuilder("honest");
    for (const [index, abuse] of [[0, 0], [1, 700]] as const) {
      const target = index === 0 ? honest : builder;
      for (let shot = 0; shot < 20; shot++) {
        const tUs = T0 + 2e6 + shot * 700_000 + index;
        // Claimed send times consistent with the session's inputs (sent 20 ms before arrival).
        target.client(tUs, "shot", { sendTimeUs: CLOCK0 + 2e6 - 20_000 + shot * 700_000, targetTimeUs: (tUs - (140 + abuse) * 1000) % 2 ** 48 });
      }
    }
    const messages = [...builder.messages, ...honest.messages].sort((a, b) => a.tUs - b.tUs);
    const report = analyze(messages);
    expect(report.findings.filter((finding) => finding.kind === "rewindAbuse").map((finding) => finding.session)).toEqual(["session-a"]);
  });
});

describe("movement", () => {
  it("a server placement (spawn) explains a jump to its position, not elsewhere", () => {
    const builder = new StreamBuilder();
    for (let index = 0; index < 120; index++) {
      const x = index < 60 ? index * 0.05 : 900 + index * 0.05;
      if (index === 60) builder.server(T0 + index * FRAME_US - 1, "spawn", { playerId: 1, position: { x: 900, y: 0, z: 0 } });
      builder.client(T0 + index * FRAME_US, "input", { sendTimeUs: CLOCK0 + index * FRAME_US, position: { x, y: 0, z: 0 } });
    }
    expect(kinds(analyze(builder.messages))).toEqual([]);
    const elsewhere = new StreamBuilder();
    for (const message of builder.messages) {
      if (message.direction === "serverToClient") elsewhere.server(message.tUs, "spawn", { playerId: 2, position: { x: -500, y: 0, z: 0 } });
      else elsewhere.client(message.tUs, "input", message.roles);
    }
    expect(kinds(analyze(elsewhere.messages))).toEqual(["movement"]);
  });

  it("a respawn seen late (old position sent after the spawn, next one 12.5 s later near the spawn point) is no teleport", () => {
    // Demo seed 7, player 14: spawn at 19.685 s (-414.9, 1335.1), a shot from the old position at 19.748 s
    // (the client had not seen the spawn yet), the next position at 32.172 s 53 units from the spawn point.
    const builder = new StreamBuilder();
    for (let index = 0; index < 60; index++) builder.client(T0 + index * FRAME_US, "input", { sendTimeUs: CLOCK0 + index * FRAME_US, position: { x: 223 + index * 0.05, y: 315, z: 0 } });
    builder.server(T0 + 1_000_000, "spawn", { playerId: 14, position: { x: -414.9, y: 1335.1, z: 0 } });
    builder.client(T0 + 1_063_000, "shot", { sendTimeUs: CLOCK0 + 1_040_000, position: { x: 223.5, y: 315.1, z: 0 } });
    builder.client(T0 + 13_487_000, "shot", { sendTimeUs: CLOCK0 + 13_464_000, position: { x: -382.3, y: 1292.7, z: 0 } });
    expect(kinds(analyze(builder.messages))).toEqual([]);
    // The same landing point far beyond walking range of the spawn (1.2 s later, 53 units away) is a teleport.
    const early = new StreamBuilder();
    for (const message of builder.messages) {
      if (message.direction === "serverToClient") early.server(message.tUs, "spawn", message.roles);
      else if (message.tUs === T0 + 13_487_000) early.client(T0 + 2_200_000, "shot", { sendTimeUs: CLOCK0 + 2_177_000, position: { x: -382.3, y: 1292.7, z: 0 } });
      else early.client(message.tUs, message.type, message.roles);
    }
    expect(kinds(analyze(early.messages))).toEqual(["movement"]);
  });

  it("evidence of a lone teleport names the jump, not zero speed windows", () => {
    const builder = new StreamBuilder();
    for (let index = 0; index < 100; index++) {
      const x = index < 50 ? index * 0.05 : 100 + index * 0.05;
      builder.client(T0 + index * FRAME_US, "input", { sendTimeUs: CLOCK0 + index * FRAME_US, position: { x, y: 0, z: 0 } });
    }
    const finding = analyze(builder.messages).findings.find((entry) => entry.kind === "movement")!;
    expect(finding.summary).not.toMatch(/window/);
    expect(finding.summary).toMatch(/^1 teleport\(s\) no server placement explains \(largest 100\.\d+ units in 0\.017 s/);
    expect(finding.evidence.values).not.toHaveProperty("speedViolations");
    expect(finding.evidence.values.maxJumpUnitsPerSecond).toBeGreaterThan(3 * 10);
  });

  it("a step a hair past the teleport distance is a teleport, one a hair short is not (the squared-length screen is exact)", () => {
    const teleports = (jump: number, y = 0, z = 0): number => {
      const builder = new StreamBuilder();
      for (let index = 0; index < 40; index++) {
        const x = index < 20 ? 0 : jump;
        builder.client(T0 + index * FRAME_US, "input", { sendTimeUs: CLOCK0 + index * FRAME_US, position: { x, y: index < 20 ? 0 : y, z: index < 20 ? 0 : z } });
      }
      const finding = analyze(builder.messages, { teleportDistance: 25 }).findings.find((entry) => entry.kind === "movement");
      return finding === undefined ? 0 : (finding.evidence.values.teleports as number);
    };
    expect(teleports(25 * (1 + 1e-12))).toBe(1);
    expect(teleports(25)).toBe(0);
    expect(teleports(25 * (1 - 1e-12))).toBe(0);
    // Across three axes: √(15² + 20² + 0.0001²) just exceeds 25; (15, 20, 0) is exactly 25.
    expect(teleports(15, 20, 0.0001)).toBe(1);
    expect(teleports(15, 20, 0)).toBe(0);
  });

  it("tracks the own entity the server relays: the last one with its id among the snapshot's first 128 positioned entities", () => {
    // 10 s of 30-Hz snapshots: the own entity (id 5) walks at 3 units/s; a second entity with id 5
    // after `others` other entities stands with it, then jumps 100 units at 5 s. The client claims
    // positions only for its first inputs (enough to identify its entity), then only its clock.
    const relayedStream = (others: number, nonFinite = false): GameMessage[] => {
      const builder = new StreamBuilder();
      const snapshotUs = 33_333;
      for (let index = 0; index < 300; index++) {
        const x = index * 0.1;
        const entities = [{ entityId: 5, position: { x, y: 0, z: 0 } }];
        for (let other = 0; other < others; other++) entities.push({ entityId: 100 + other, position: { x: 1_000 + other * 10, y: 0, z: 0 } });
        entities.push({ entityId: 5, position: { x: index >= 150 ? x + 100 : x, y: nonFinite && index >= 150 ? Number.NaN : 0, z: 0 } });
        builder.server(T0 + index * snapshotUs, "snapshot", { entities });
        builder.client(T0 + index * snapshotUs + 1_000, "input", { sendTimeUs: CLOCK0 + index * snapshotUs, ...(index < 5 ? { position: { x, y: 0, z: 0 } } : {}) });
      }
      return builder.messages;
    };
    const relayedJumps = (others: number, nonFinite = false): string[] =>
      analyze(relayedStream(others, nonFinite))
        .findings.filter((finding) => finding.kind === "movement")
        .map((finding) => finding.summary);
    expect(relayedJumps(10)).toEqual([expect.stringMatching(/^1 teleport\(s\) .* in the positions the server relays for the player's own entity\.$/)]);
    // The jumping twin is the 129th positioned entity: beyond the snapshot entities kept, as in a large snapshot's tail.
    expect(relayedJumps(127)).toEqual([]);
    expect(relayedJumps(126)).toHaveLength(1);
    // A twin whose position is not finite is skipped: the walking entity before it is tracked.
    expect(relayedJumps(10, true)).toEqual([]);
    // A message is not kept past its call: a caller reusing message objects leaves the evidence intact.
    const reused = new AnticheatAnalyzer();
    for (const message of relayedStream(10)) {
      reused.onMessage(message);
      message.tUs = 0;
      message.packetIndex = 1_000_000;
    }
    const finding = reused.finish().findings.find((entry) => entry.kind === "movement")!;
    const expected = analyze(relayedStream(10)).findings.find((entry) => entry.kind === "movement")!;
    expect(finding.startUs).toBe(expected.startUs);
    expect(finding.evidence.packetIndices).toEqual(expected.evidence.packetIndices);
    expect(finding.startUs).toBeGreaterThan(T0);
  });

  it("flags speed above the maximum", () => {
    const finding = analyze(simulate({ seconds: 10, speed: 25 }).messages).findings.find((entry) => entry.kind === "movement")!;
    expect(finding.evidence.values.maxSpeedUnitsPerSecond).toBeGreaterThan(20);
    expect(finding.summary).toMatch(/^\d+ 500-ms window\(s\) faster than the 10 units\/s limit \(max [\d.]+ units\/s, [\d.]+×\)/);
  });

  it("flags a teleport and ignores reordered or non-finite positions", () => {
    const builder = new StreamBuilder();
    for (let index = 0; index < 100; index++) {
      const x = index < 50 ? index * 0.05 : 100 + index * 0.05;
      builder.client(T0 + index * FRAME_US, "input", { sendTimeUs: CLOCK0 + index * FRAME_US, position: { x, y: 0, z: 0 } });
    }
    builder.client(T0 + 101 * FRAME_US, "input", { sendTimeUs: CLOCK0, position: { x: 0, y: 0, z: 0 } });
    builder.client(T0 + 102 * FRAME_US, "input", { sendTimeUs: CLOCK0 + 102 * FRAME_US, position: { x: Number.NaN, y: 0, z: 0 } });
    const finding = analyze(builder.messages).findings.find((entry) => entry.kind === "movement")!;
    expect(finding.evidence.values.teleports).toBe(1);
    expect(finding.evidence.values.maxJumpUnits).toBeCloseTo(100, 0);
  });
});

describe("bot timing", () => {
  const shots = (gapMs: (index: number) => number) => {
    const builder = new StreamBuilder();
    let claimed = CLOCK0;
    for (let index = 0; index < 40; index++) {
      claimed += gapMs(index) * 1000;
      builder.client(T0 + (claimed - CLOCK0), "shot", { sendTimeUs: claimed, targetTimeUs: claimed - 120_000 });
    }
    return builder.messages;
  };

  it("flags machine-regular action gaps", () => {
    const finding = analyze(shots(() => 400)).findings.find((entry) => entry.kind === "botTiming")!;
    expect(finding.evidence.values.regular).toBe(true);
  });

  it("flags scripted multimodal gaps", () => {
    const finding = analyze(shots((index) => [300, 600, 900][index % 3]!)).findings.find((entry) => entry.kind === "botTiming")!;
    expect(finding.evidence.values.multimodal).toBe(true);
    expect(finding.evidence.values.regular).toBe(false);
  });

  it("keeps human timing (and burst fire) clean; actionTypes selects the messages", () => {
    const random = new Random(3);
    const human = shots((index) => (index % 3 === 0 ? 100 : 900 * Math.exp(0.7 * random.normal())));
    expect(kinds(analyze(human))).not.toContain("botTiming");
    expect(kinds(analyze(shots(() => 400), { actionTypes: ["grenade"] }))).not.toContain("botTiming");
  });
});

describe("tampering", () => {
  it("flags client definition violations and failed authentication, not server-side or decode gaps", () => {
    const builder = simulate({ seconds: 5 });
    const anomalies = [
      builder.anomaly(T0 + 1e6, "E_DECRYPT_FAILED"),
      builder.anomaly(T0 + 2e6, "E_VALUE_OUT_OF_RANGE"),
      builder.anomaly(T0 + 2.5e6, "E_DECODE_FAILED"),
      builder.anomaly(T0 + 3e6, "E_VALUE_OUT_OF_RANGE", "serverToClient"),
    ];
    builder.client(T0 + 4e6, "input", { authenticated: false });
    builder.client(T0 + 4.1e6, "input", { position: { x: 5e7, y: 0, z: 0 } });
    const report = analyze(builder.messages, {}, anomalies);
    const finding = report.findings.find((entry) => entry.kind === "tampering")!;
    expect(finding.evidence.values.violations).toBe(4);
    expect(finding.evidence.values.E_DECRYPT_FAILED).toBe(1);
    expect(finding.evidence.values.unauthenticated).toBe(1);
    expect(finding.evidence.values.impossiblePosition).toBe(1);
    expect(report.summary.anomalies).toEqual({ E_DECODE_FAILED: 1, E_DECRYPT_FAILED: 1, E_VALUE_OUT_OF_RANGE: 2 });
  });
});

describe("replay", () => {
  it("flags a reused sequence with another payload and a late identical re-send", () => {
    const builder = new StreamBuilder();
    // The server answered: the session is established (repeats before that are handshake retries).
    builder.server(T0 - 1000, "snapshot", { sequence: 1, sequenceBits: 16 });
    for (let index = 0; index < 300; index++) builder.client(T0 + index * FRAME_US, "input", { sequence: index, sequenceBits: 16, sendTimeUs: CLOCK0 + index * FRAME_US });
    builder.client(T0 + 300 * FRAME_US, "input", { sequence: 290, sequenceBits: 16, sendTimeUs: CLOCK0 + 999 });
    builder.client(T0 + 320 * FRAME_US, "input", { sequence: 200, sequenceBits: 16, sendTimeUs: CLOCK0 + 200 * FRAME_US });
    builder.client(T0 + 321 * FRAME_US, "input", { sequence: 10, sequenceBits: 16, sendTimeUs: CLOCK0 + 10 * FRAME_US });
    const finding = analyze(builder.messages).findings.find((entry) => entry.kind === "replay")!;
    expect(finding.evidence.values).toMatchObject({ replays: 3, editedPayload: 1, resentIdentical: 1, staleSequences: 1 });
  });

  it("ignores retransmissions, network duplicates, shared datagrams and sequence wrap-around", () => {
    const builder = new StreamBuilder();
    for (let index = 0; index < 400; index++) {
      const sequence = (65_400 + index) % 65_536;
      const roles = { sequence, sequenceBits: 16, channel: 1, sendTimeUs: CLOCK0 + index * FRAME_US };
      const message = builder.client(T0 + index * FRAME_US, "input", roles);
      builder.client(message.tUs, "shot", { ...roles, targetTimeUs: 1 }, true);
      if (index % 50 === 0) builder.client(message.tUs + 2000, "input", roles);
      if (index % 70 === 0) builder.client(message.tUs + 3e6, "input", { ...roles, resendCount: 1 });
      if (index % 90 === 0) {
        // A network duplicate of the whole two-message datagram.
        builder.client(message.tUs + 1000, "input", roles);
        builder.client(message.tUs + 1000, "shot", { ...roles, targetTimeUs: 1 }, true);
      }
    }
    const report = analyze(builder.messages.sort((a, b) => a.tUs - b.tUs));
    expect(kinds(report)).not.toContain("replay");
  });
});

describe("analyzer", () => {
  it("names players from session labels or playerId roles, counts packets and is deterministic", () => {
    const run = () => {
      const analyzer = new AnticheatAnalyzer();
      analyzer.onSession({
        id: "session-a",
        transport: "udp",
        client: { address: "10.0.0.1", port: 1 },
        server: { address: "10.0.0.2", port: 2 },
        firstUs: T0,
        lastUs: T0,
        clientToServer: { packets: 0, bytes: 0 },
        serverToClient: { packets: 0, bytes: 0 },
        player: "alice",
      } as never);
      analyzer.onPacket({ sessionId: "session-b", direction: "clientToServer", tUs: T0, packetIndex: 0, wireLength: 60, payloadLength: 18, frameCount: 1 });
      for (const message of simulate({ seconds: 30, rate: 1.2 }).messages) analyzer.onMessage(message);
      const other = new StreamBuilder("session-b");
      other.client(T0 + 1, "input", { playerId: 42 });
      analyzer.onMessage(other.messages[0]!);
      return analyzer.finish();
    };
    const report = run();
    expect(report.players.map((player) => [player.session, player.player])).toEqual([
      ["session-a", "alice"],
      ["session-b", "42"],
    ]);
    expect(report.findings[0]!.player).toBe("alice");
    expect(report.findings[0]!.id).toMatch(/^anticheat\.speedhack\.1$/);
    expect(report.summary.packets).toBe(1);
    expect(JSON.stringify(run())).toBe(JSON.stringify(report));
  });
});
