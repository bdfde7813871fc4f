import type { GameMessage, MessageRoles } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { AnticheatAnalyzer } from "./anticheat-analyzer.js";
import type { AnticheatReport } from "./anticheat-report.js";
import { ClientDatagram } from "./client-datagram.js";
import type { AnticheatOptions } from "./options.js";
import { Random } from "./test-support/random.js";
import { StreamBuilder } from "./test-support/stream-builder.js";

const T0 = 1_760_000_000_000_000;
const TICK_US = 1_000_000 / 60;
const TICK0 = 300_000;

function analyze(messages: readonly GameMessage[], options: Partial<AnticheatOptions> = {}): AnticheatReport {
  const analyzer = new AnticheatAnalyzer(options);
  for (const message of [...messages].sort((a, b) => a.tUs - b.tUs || a.packetIndex - b.packetIndex)) analyzer.onMessage(message);
  return analyzer.finish();
}

interface BundledOptions {
  seconds: number;
  /** Extra hold of the datagrams that carry a shot, ms (fake lag), while `holdWindowS` (default: always). */
  shotHoldMs?: number;
  holdWindowS?: [number, number];
  /** Extra rewind beyond the honest one, ms, while `rewindWindowS` (default: always). */
  rewindExtraMs?: number;
  rewindWindowS?: [number, number];
  jitterMs?: number;
  seed?: number;
}

/**
 * A client whose every 60 Hz datagram carries the newest input (claimed by its
 * tick only), a shot every ~0.6 s (human-irregular) riding in the same datagram (no claim of its
 * own), and the server (20 Hz, a ping per second answered by a pong in the next
 * datagram): the shape where the old per-message pairing saw a difference of 0.
 */
function bundledClient(options: BundledOptions): GameMessage[] {
  const builder = new StreamBuilder();
  const random = new Random(options.seed ?? 1);
  const delayUs = 25_000;
  const jitter = () => random.exponential((options.jitterMs ?? 2) * 1000);
  const inWindow = (tUs: number, window: [number, number] | undefined) => window === undefined || (tUs >= T0 + window[0] * 1e6 && tUs < T0 + window[1] * 1e6);
  const pings: number[] = [];
  for (let tUs = T0; tUs < T0 + options.seconds * 1e6; tUs += 50_000) {
    const ping = (tUs - T0) % 1_000_000 === 0;
    builder.server(tUs, ping ? "ping" : "snapshot", ping ? { echoKey: String(tUs), echoPhase: "request" } : { sequence: (tUs - T0) / 50_000, sequenceBits: 16 });
    if (ping) pings.push(tUs);
  }
  let nextShotUs = T0 + 500_000;
  let sequence = 0;
  const datagrams: Array<{ tUs: number; parts: Array<[string, MessageRoles]> }> = [];
  for (let frame = 0; frame < options.seconds * 60; frame++) {
    const sentUs = T0 + frame * TICK_US;
    const parts: Array<[string, MessageRoles]> = [["input", { sequence, sequenceBits: 16, tick: TICK0 + frame, inputSequence: frame, inputCount: 3, position: { x: frame * 0.05, y: 0, z: 0 } }]];
    let holdUs = 0;
    if (sentUs >= nextShotUs) {
      nextShotUs += 150_000 + random.exponential(450_000);
      const rewindMs = 100 + 25 + (inWindow(sentUs, options.rewindWindowS) ? (options.rewindExtraMs ?? 0) : 0);
      parts.push(["shot", { sequence, sequenceBits: 16, targetTimeUs: (TICK0 + frame) * TICK_US - rewindMs * 1000, position: { x: frame * 0.05, y: 0, z: 0 } }]);
      if (inWindow(sentUs, options.holdWindowS)) holdUs = (options.shotHoldMs ?? 0) * 1000;
    }
    while (pings.length > 0 && pings[0]! + delayUs <= sentUs) parts.push(["pong", { sequence, sequenceBits: 16, echoKey: String(pings.shift()), echoPhase: "reply" }]);
    sequence += 1;
    datagrams.push({ tUs: sentUs + delayUs + holdUs + jitter(), parts });
  }
  datagrams.sort((a, b) => a.tUs - b.tUs);
  for (const datagram of datagrams) datagram.parts.forEach(([type, roles], index) => builder.client(datagram.tUs, type, roles, index > 0));
  return builder.messages;
}

function kinds(report: AnticheatReport): string[] {
  return report.findings.map((finding) => finding.kind);
}

describe("fake lag on shots that ride in the input's datagram", () => {
  it("finds shots held back 300 ms against the player's other datagrams", () => {
    const report = analyze(bundledClient({ seconds: 40, shotHoldMs: 300 }));
    expect(kinds(report)).toEqual(["fakeLatency"]);
    const values = report.findings[0]!.evidence.values;
    expect(values.messageType).toBe("shot");
    expect(values.medianExtraDelayMs).toBeGreaterThan(250);
    expect(values.actionDatagramAgeMs).toBeGreaterThan(values.otherDatagramAgeMs as number);
    expect(report.findings[0]!.summary).toContain("the whole session");
  });

  it("keeps an honest jittery player clean", () => {
    for (const seed of [1, 2, 3]) expect(kinds(analyze(bundledClient({ seconds: 40, jitterMs: 30, seed })))).toEqual([]);
  });

  it("finds fake lag in the first 30 s of a 200-s capture, as fake lag (not rewind abuse)", () => {
    const report = analyze(bundledClient({ seconds: 200, shotHoldMs: 250, holdWindowS: [10, 40] }));
    expect(kinds(report)).toEqual(["fakeLatency"]);
    const finding = report.findings[0]!;
    expect(finding.startUs).toBeGreaterThanOrEqual(T0 + 10e6);
    // Windows start at their first sample and collect sparse shots, so the run may end a few seconds after the cheat.
    expect(finding.endUs).toBeLessThan(T0 + 50e6);
    expect(finding.evidence.values.outsideRunExtraDelayMs).toBeLessThan(10);
  });
});

describe("rewind over the whole session", () => {
  it("finds rewind abuse early in a long capture (the old last-128-shots ring forgot it)", () => {
    const report = analyze(bundledClient({ seconds: 200, rewindExtraMs: 400, rewindWindowS: [10, 40] }));
    expect(kinds(report)).toEqual(["rewindAbuse"]);
    expect(report.findings[0]!.evidence.values.windows).toBe(3);
    expect(report.findings[0]!.summary).toContain("in the other windows");
  });
});

describe("replay on authenticated and 64-bit sequences", () => {
  const base = 2n ** 63n;
  function session(options: { repeatAfterMs: number; authenticated: boolean; server?: boolean }): GameMessage[] {
    const builder = new StreamBuilder();
    if (options.server !== false) builder.server(T0 - 1000, "keepAlive", { sequence: 1, sequenceBits: 64 });
    const roles = (index: number): MessageRoles => {
      const sequence = (base + BigInt(index)) as unknown as number;
      return options.authenticated ? { sequence, sequenceBits: 64, sendTimeUs: index * TICK_US, authenticated: true } : { sequence, sequenceBits: 64, sendTimeUs: index * TICK_US };
    };
    for (let index = 0; index < 300; index++) builder.client(T0 + index * TICK_US, "payload", roles(index));
    builder.client(T0 + 300 * TICK_US + options.repeatAfterMs * 1000, "payload", roles(250));
    // An unauthenticated connection request repeated later (the protocol leaves it unauthenticated).
    builder.client(T0 + 301 * TICK_US, "connectionRequest", { sequence: 0, sequenceBits: 64 });
    builder.client(T0 + 400 * TICK_US, "connectionRequest", { sequence: 0, sequenceBits: 64 });
    return builder.messages;
  }

  it("flags an authenticated 64-bit datagram re-sent after the duplicate window, and ignores unauthenticated repeats", () => {
    const report = analyze(session({ repeatAfterMs: 2000, authenticated: true }));
    expect(kinds(report)).toEqual(["replay"]);
    expect(report.findings[0]!.evidence.values).toMatchObject({ replays: 1, resentIdentical: 1, unauthenticatedRepeatsIgnored: 1 });
  });

  it("a 64-bit sequence far behind the newest is stale; one within the duplicate window is a network duplicate", () => {
    const stale = new StreamBuilder();
    stale.server(T0 - 1000, "keepAlive", { sequence: 1 });
    for (let index = 0; index < 300; index++) stale.client(T0 + index * TICK_US, "payload", { sequence: (base + BigInt(index)) as unknown as number, sendTimeUs: index });
    stale.client(T0 + 301 * TICK_US, "payload", { sequence: (base + 290n) as unknown as number, sendTimeUs: 999 });
    stale.client(T0 + 302 * TICK_US, "payload", { sequence: (base + 10n) as unknown as number, sendTimeUs: 5 });
    stale.client(T0 + 299 * TICK_US + 100_000, "payload", { sequence: (base + 299n) as unknown as number, sendTimeUs: 299 });
    expect(analyze(stale.messages).findings[0]!.evidence.values).toMatchObject({ replays: 2, editedPayload: 1, staleSequences: 1, networkDuplicates: 1 });
  });

  it("counts repeats before the server ever answered as handshake retries, not replay", () => {
    const report = analyze(session({ repeatAfterMs: 2000, authenticated: false, server: false }));
    expect(kinds(report)).toEqual([]);
    expect(report.summary.handshakeRetries).toBe(2);
  });

  it("without authentication in the session, an unauthenticated repeat after the handshake is a replay", () => {
    const report = analyze(session({ repeatAfterMs: 2000, authenticated: false }));
    expect(report.findings[0]!.evidence.values).toMatchObject({ replays: 2, resentIdentical: 2, unauthenticatedRepeatsIgnored: 0 });
  });
});

describe("ClientDatagram", () => {
  it("folds a datagram's messages: newest claim, command, action types and shot targets (bounded)", () => {
    const datagram = new ClientDatagram(new Set(["grenade"]));
    datagram.reset(7, T0);
    const message = (type: string, roles: MessageRoles): GameMessage => ({ sessionId: "s", direction: "clientToServer", tUs: T0, packetIndex: 7, indexInPacket: 0, type, byteLength: 1, packetWireLength: 43, fields: {}, roles });
    datagram.add(message("input", { inputSequence: 1 }), 200);
    datagram.add(message("input", { inputSequence: 0 }), 100);
    for (let index = 0; index < 6; index++) datagram.add(message("shot", { targetTimeUs: index }), undefined);
    datagram.add(message("grenade", {}), undefined);
    datagram.add(message("pong", { echoKey: "1", echoPhase: "reply" }), 150);
    datagram.add(message("note", {}), undefined);
    expect(datagram.claimedUs).toBe(200);
    expect(datagram.hasCommand).toBe(true);
    expect(datagram.actionTypes.slice(0, datagram.actionTypeCount)).toEqual(["shot", "grenade", "pong"]);
    expect([...datagram.targetsUs.subarray(0, datagram.targetCount)]).toEqual([0, 1, 2, 3]);
    expect(datagram.targetClaimsUs.every(Number.isNaN)).toBe(true);
    for (const type of ["a", "b", "c", "d", "e"]) datagram.add(message(type, { echoKey: type }), undefined);
    expect(datagram.actionTypeCount).toBe(4);
    datagram.reset(8, T0 + 1);
    expect([datagram.packetIndex, datagram.claimedUs, datagram.hasCommand, datagram.actionTypeCount, datagram.targetCount]).toEqual([8, Number.NaN, false, 0, 0]);
  });
});
