import { stringifyReport, type Direction, type GameMessage, type MessageRoles } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { LatencyAnalyzer } from "./latency-analyzer.js";
import { LatencyReportSchema, type LatencyReport } from "./latency-report.js";
import { firstAffectedSendUs } from "./test-support/evaluate-detection.js";
import { checkJsonSchema } from "./test-support/json-schema-check.js";
import { generateMatch, runAnalyzer, type InjectedKind, type SyntheticMatch } from "./test-support/synthetic-match.js";

function message(
  sessionId: string,
  direction: Direction,
  tUs: number,
  packetIndex: number,
  roles: MessageRoles,
  type = "data",
  byteLength = 40,
): GameMessage {
  return { sessionId, direction, tUs, packetIndex, indexInPacket: 0, type, byteLength, packetWireLength: byteLength + 50, fields: {}, roles };
}

/** Client sends at 30 Hz; each datagram is acked (and each ping answered) exactly `rttMs` later. */
function constantRtt(rttMs: number, count: number, sessionId = "constant"): GameMessage[] {
  const messages: GameMessage[] = [];
  for (let n = 0; n < count; n++) {
    const sendUs = 1e15 + n * 33_333;
    const sequence = (65_500 + n) & 0xffff;
    const roles: MessageRoles = { sequence, sequenceBits: 16, sendTimeUs: sendUs };
    messages.push(message(sessionId, "clientToServer", sendUs, 0, roles, "input"));
    messages.push(message(sessionId, "clientToServer", sendUs, 0, { ...roles, echoKey: `p${n}`, echoPhase: "request" }, "ping"));
    const replyRoles: MessageRoles = { ack: sequence, ackBits: 0xffffffff, ackBitsWidth: 32, sequence: n & 0xffff, sendTimeUs: sendUs + rttMs * 500 };
    messages.push(message(sessionId, "serverToClient", sendUs + rttMs * 1000, 0, replyRoles, "snapshot"));
    messages.push(message(sessionId, "serverToClient", sendUs + rttMs * 1000, 0, { ...replyRoles, echoKey: `p${n}`, echoPhase: "reply" }, "pong"));
  }
  messages.sort((a, b) => a.tUs - b.tUs);
  let packetIndex = -1;
  let last = "";
  for (const entry of messages) {
    const key = `${entry.tUs}:${entry.direction}`;
    if (key !== last) packetIndex += 1;
    last = key;
    entry.packetIndex = packetIndex;
  }
  return messages;
}

function analyze(messages: Iterable<GameMessage>, analyzer = new LatencyAnalyzer()): LatencyReport {
  for (const entry of messages) analyzer.onMessage(entry);
  return analyzer.finish();
}

describe("LatencyAnalyzer: measurements", () => {
  it("counts time above each threshold the RTT exceeds, and only those", () => {
    for (const [rttMs, above] of [
      [49, [false, false, false]],
      [120, [true, true, false]],
      [151, [true, true, true]],
    ] as const) {
      const experience = analyze(constantRtt(rttMs, 300)).sessions[0].experience;
      // 299 gaps of 33.333 ms between the headline's samples.
      const heldMs = 299 * 33.333;
      expect([experience.timeAbove50Ms, experience.timeAbove100Ms, experience.timeAbove150Ms], `${rttMs} ms`).toEqual(above.map((isAbove) => (isAbove ? heldMs : 0)));
    }
  });

  it("measures a constant 45 ms RTT by ack and by echo, with zero jitter and no spikes", () => {
    const report = analyze(constantRtt(45, 1800));
    expect(report.sessions).toHaveLength(1);
    const session = report.sessions[0];
    // Echo is the headline (the most direct method); acks agree, are as dense, and are not followed instead.
    expect(session.method).toBe("echo");
    expect(session.direction).toBe("clientToServer");
    expect(session.timeSeries).toEqual({ method: "echo", direction: "clientToServer" });
    expect(session.methodsDisagree).toEqual([]);
    expect(session.rttMs.samples).toBe(1800);
    expect(session.rttMs.max).toBe(45);
    expect(Math.abs(session.rttMs.p50 - 45)).toBeLessThanOrEqual(45 * 0.005);
    expect(session.rttMs.smoothedMs).toBe(45);
    const echo = session.series.find((series) => series.method === "echo")!;
    expect(echo.samples).toBe(1800);
    expect(echo.max).toBe(45);
    expect(echo.min).toBe(45);
    expect(session.jitterMs.rfc3550).toBe(0);
    expect(session.spikes).toEqual([]);
    expect(session.perMinute.map((minute) => minute.samples).reduce((a, b) => a + b, 0)).toBe(1800);
    expect(session.experience.timeAbove50Ms).toBe(0);
    expect(report.findings).toEqual([]);
    expect(checkJsonSchema(LatencyReportSchema as unknown as Record<string, unknown>, JSON.parse(stringifyReport(report)))).toEqual([]);
    // The checker does fail on a broken report.
    const broken = JSON.parse(stringifyReport(report));
    delete broken.sessions[0].rttMs.p95;
    broken.sessions[0].method = "psychic";
    broken.extra = 1;
    expect(checkJsonSchema(LatencyReportSchema as unknown as Record<string, unknown>, broken)).toEqual([
      "$.sessions[0].method: psychic not in enum",
      "$.sessions[0].rttMs.p95: missing",
      "$.extra: not allowed",
    ]);
  });

  it("matches the simulator's ack RTT and RFC 3550 jitter (16-bit wrap, 2–3 messages per datagram, loss, reordering)", () => {
    const match = generateMatch({ seed: 5, durationMs: 40_000, sessions: 1, jitterMeanMs: 2, lossProbability: 0.02 });
    const report = runAnalyzer(new LatencyAnalyzer(), match);
    // Truth (RFC 9002 §5.1): for each captured server datagram whose ack is larger than every earlier ack,
    // one sample from the send of that largest acknowledged client datagram — unless that server datagram
    // follows a gap in the server's own sequence (lost or late datagrams may have carried the ack first).
    const truth: number[] = [];
    const server = match.datagrams.filter((datagram) => datagram.direction === "serverToClient").sort((a, b) => a.arriveUs - b.arriveUs);
    const sentBySequence = new Map(match.datagrams.filter((datagram) => datagram.direction === "clientToServer").map((datagram) => [datagram.sequence, datagram]));
    let largest = -Infinity;
    let highestServer = -Infinity;
    for (const reply of server) {
      if (reply.lost) continue;
      const afterGap = reply.sequence > highestServer + 1 && highestServer !== -Infinity;
      highestServer = Math.max(highestServer, reply.sequence);
      if (reply.ack === undefined || reply.ack <= largest) continue;
      largest = reply.ack;
      if (afterGap) continue;
      const sent = sentBySequence.get(reply.ack)!;
      truth.push((reply.arriveUs - sent.sendUs) / 1000);
    }
    truth.sort((a, b) => a - b);
    const ack = report.sessions[0].series.find((series) => series.method === "ack" && series.direction === "clientToServer")!;
    expect(ack.samples).toBe(truth.length);
    expect(ack.max).toBeCloseTo(truth[truth.length - 1], 2);
    expect(Math.abs(ack.p50 - truth[Math.floor(0.5 * (truth.length - 1))])).toBeLessThanOrEqual(0.005 * 60 + 0.05);
    expect(Math.abs(ack.p95 - truth[Math.floor(0.95 * (truth.length - 1))])).toBeLessThanOrEqual(0.005 * 80 + 0.05);
    // RFC 3550 on the server→client stream, straight from the definition.
    let jitter = 0;
    let sum = 0;
    let max = 0;
    let previous: { arriveUs: number; sendUs: number } | undefined;
    for (const datagram of server.filter((entry) => !entry.lost)) {
      if (previous !== undefined) {
        jitter += (Math.abs(datagram.arriveUs - previous.arriveUs - (datagram.sendUs - previous.sendUs)) - jitter) / 16;
        max = Math.max(max, jitter);
      }
      sum += jitter;
      previous = datagram;
    }
    const stream = report.streams.find((entry) => entry.direction === "serverToClient")!;
    expect(stream.packets).toBe(server.length);
    expect(stream.jitterMs.last).toBeCloseTo(jitter / 1000, 3);
    expect(stream.jitterMs.max).toBeCloseTo(max / 1000, 3);
    expect(stream.jitterMs.mean).toBeCloseTo(sum / (server.length - 1) / 1000, 3);
    expect(report.sessions[0].jitterMs.rfc3550).toBeCloseTo(jitter / 1000, 3);
    // The client→server stream is captured at send: constant transit.
    expect(report.streams.find((entry) => entry.direction === "clientToServer")!.jitterMs.max).toBe(0);
    expect(stream.pdvMs.p99).toBeGreaterThan(stream.pdvMs.p50);
  });

  it("takes reported RTT from roles and from server-log events, mapping players to sessions", () => {
    const analyzer = new LatencyAnalyzer();
    analyzer.onSession({
      id: "a",
      transport: "udp",
      client: { address: "10.0.0.1", port: 5000 },
      server: { address: "::1", port: 7777 },
      firstUs: 0,
      lastUs: 1,
      clientToServer: { packets: 0, bytes: 0 },
      serverToClient: { packets: 0, bytes: 0 },
      player: "p1",
    });
    for (let n = 0; n < 30; n++) {
      analyzer.onMessage(message("a", "clientToServer", n * 1e6, n, { reportedRttMs: 70 + (n % 3) }));
      analyzer.onMessage(message("a", "clientToServer", n * 1e6, n, { reportedRttMs: 70 + (n % 3) }, "second"));
      analyzer.onLogEvent({ tUs: n * 1e6 + 1, type: "ping_report", player: "p1", values: { rttMs: 80 }, labels: {}, line: n + 1 });
      analyzer.onLogEvent({ tUs: n * 1e6 + 2, type: "ping_report", player: "ghost", values: { pingMs: 90 }, labels: {}, line: n + 1 });
      analyzer.onLogEvent({ tUs: n * 1e6 + 3, type: "tick", values: { tick: n }, labels: {}, line: n + 1 });
    }
    analyzer.onMessage(message("a", "clientToServer", 31e6, 99, { reportedRttMs: -5 }));
    analyzer.onAnomaly();
    const report = analyzer.finish();
    // core's log attribution: a player no session names is counted, never a made-up session "player:ghost"
    expect(report.sessions.map((session) => session.id)).toEqual(["a"]);
    const session = report.sessions[0];
    expect(session.client).toBe("10.0.0.1:5000");
    expect(session.server).toBe("[::1]:7777");
    expect(session.method).toBe("reported");
    expect(session.series).toHaveLength(1);
    expect(session.rttMs.samples).toBe(60);
    expect(session.rttMs.max).toBe(80);
    expect(report.anomalies).toEqual({ E_DECODE_ANOMALY_SEEN: 1, E_LOG_PLAYER_UNKNOWN: 30, E_RTT_INVALID: 1 });
  });

  it("files a log RTT naming a player before its session's first datagram under that session once the client's messages name the player", () => {
    const analyzer = new LatencyAnalyzer();
    for (let n = 0; n < 3; n++) analyzer.onLogEvent({ tUs: n * 1e6, type: "ping_report", player: "7", values: { rttMs: 300 }, labels: {}, line: n + 1 });
    // a server message naming player 7 (a spawn) does not make this player 7's session
    analyzer.onMessage(message("c", "serverToClient", 3e6, 0, { playerId: 7 }));
    for (let n = 0; n < 20; n++) analyzer.onMessage(message("c", "clientToServer", (4 + n) * 1e6, n + 1, { playerId: 7, reportedRttMs: 40 }));
    const report = analyzer.finish();
    expect(report.sessions.map((session) => session.id)).toEqual(["c"]);
    expect(report.sessions[0].rttMs.samples).toBe(23);
    expect(report.sessions[0].rttMs.max).toBe(300);
    expect(report.anomalies.E_LOG_PLAYER_UNKNOWN).toBeUndefined();
  });

  it("is deterministic and bounded (sessions, spikes, minutes)", () => {
    const build = () => constantRtt(45, 200, "x").concat(constantRtt(45, 200, "y"));
    const first = stringifyReport(analyze(build()));
    expect(stringifyReport(analyze(build()))).toBe(first);
    const bounded = analyze(build(), new LatencyAnalyzer({ maxSessions: 1 }));
    expect(bounded.sessions).toHaveLength(1);
    expect(bounded.anomalies.E_SESSIONS_DROPPED).toBeGreaterThan(0);
    // Alternating latency every 20 samples: many spikes, one minute per sample minute.
    const analyzer = new LatencyAnalyzer({ maxSpikesPerSeries: 2, maxMinutesPerSeries: 1, spike: { warmupSamples: 5, minSamples: 1 } });
    for (let n = 0; n < 400; n++) {
      analyzer.onMessage(message("z", "clientToServer", n * 1e6, n, { reportedRttMs: Math.floor(n / 20) % 2 === 1 && n % 20 < 3 ? 200 : 40 }));
    }
    const report = analyzer.finish();
    expect(report.sessions[0].spikes).toHaveLength(2);
    expect(report.sessions[0].perMinute).toHaveLength(1);
    expect(report.anomalies.E_SPIKES_DROPPED).toBeGreaterThan(0);
    expect(report.anomalies.E_MINUTES_DROPPED).toBeGreaterThan(0);
    expect(report.sessions[0].experience.timeAbove150Ms).toBeGreaterThan(0);
    expect(report.sessions[0].experience.worstMinuteP95Ms).toBe(report.sessions[0].perMinute[0].p95);
  });
});

function spikeScenario(kind: InjectedKind, seed = 7, logEvent?: string): { match: SyntheticMatch; report: LatencyReport } {
  const match = generateMatch({
    seed,
    durationMs: 60_000,
    sessions: 6,
    spikes: [{ kind, startMs: 30_000, durationMs: 200, extraMs: 50, logEvent, sessions: kind === "tickStall" || kind === "sharedPath" ? undefined : [0] }],
  });
  return { match, report: runAnalyzer(new LatencyAnalyzer(), match) };
}

describe("LatencyAnalyzer: spikes and causes against injected truth", () => {
  for (const kind of ["lossBurst", "tickStall"] as const) {
    it(`reports no RTT spike for a ${kind}: the acks after it sample their newest sequence (RFC 9002), so no round trip grew`, () => {
      const { report } = spikeScenario(kind);
      for (const session of report.sessions) {
        expect(session.spikes).toEqual([]);
        const ack = session.series.find((series) => series.method === "ack" && series.direction === "clientToServer")!;
        expect(ack.max).toBeLessThan(ack.p50 + 40);
      }
      expect(report.findings.filter((finding) => finding.kind === "latencySpike")).toEqual([]);
    });
  }

  for (const kind of ["queueBuildup", "snapshotBurst", "sharedPath"] as const) {
    it(`finds a ${kind} spike at the first affected packet and ranks ${kind} first`, () => {
      const { match, report } = spikeScenario(kind);
      const session = report.sessions.find((entry) => entry.id === "s0000")!;
      expect(session.spikes).toHaveLength(1);
      const spike = session.spikes[0];
      const truthStartUs = firstAffectedSendUs(match, 0, kind, match.startUs + 30_000_000);
      expect(Math.abs(spike.startUs - truthStartUs)).toBeLessThanOrEqual(1000);
      expect(spike.baselineMs).toBeGreaterThan(52);
      expect(spike.baselineMs).toBeLessThan(62);
      expect(spike.peakMs - spike.baselineMs).toBeGreaterThan(40);
      expect(spike.causes[0].kind).toBe(kind);
      expect(spike.causes[0].score).toBeGreaterThan(0.5);
      const finding = report.findings.find((entry) => entry.session === "s0000")!;
      expect(finding.kind).toBe("latencySpike");
      expect(finding.summary).toContain("Suggested fix");
      expect(finding.evidence.values.topCause).toBe(kind);
      expect(finding.startUs).toBe(spike.startUs);
      expect(finding.player).toBe("player0");
      expect(spike.suggestedFix.length).toBeGreaterThan(10);
      const others = report.sessions.filter((entry) => entry.id !== "s0000");
      for (const other of others) expect(other.spikes).toHaveLength(kind === "sharedPath" ? 1 : 0);
      if (kind === "snapshotBurst") expect(spike.causes[0].evidence.messageTypes).toMatch(/^fullSnapshot/);
      expect(checkJsonSchema(LatencyReportSchema as unknown as Record<string, unknown>, JSON.parse(stringifyReport(report)))).toEqual([]);
    });
  }

  it("names a server log event (gc_pause) at the start of a spike every session shares", () => {
    const { report } = spikeScenario("sharedPath", 7, "gc_pause");
    for (const session of report.sessions) {
      const cause = session.spikes[0].causes.find((entry) => entry.kind === "serverLogEvent");
      expect(cause?.evidence.eventType).toBe("gc_pause");
    }
  });

  it("leaves a one-session spike with no traffic cause unexplained (last mile → interpolation delay)", () => {
    const { report } = spikeScenario("lastMile");
    const spike = report.sessions[0].spikes[0];
    expect(spike.causes).toEqual([]);
    expect(spike.suggestedFix).toMatch(/interpolation delay/);
    expect(report.findings[0].confidence).toBe(0);
  });

  it("reports a lasting step as a baseline shift (route change)", () => {
    const { match, report } = spikeScenario("routeChange");
    const spike = report.sessions[0].spikes[0];
    expect(spike.levelShift).toBe(true);
    expect(spike.startUs).toBe(firstAffectedSendUs(match, 0, "routeChange", match.startUs + 30_000_000));
    expect(spike.causes[0].kind).toBe("routeChange");
    expect(spike.causes[0].evidence.shiftMs as number).toBeCloseTo(50, -1);
    expect(report.findings[0].kind).toBe("latencyBaselineShift");
    expect(checkJsonSchema(LatencyReportSchema as unknown as Record<string, unknown>, JSON.parse(stringifyReport(report)))).toEqual([]);
    expect(report.sessions[0].experience.timeAbove100Ms).toBeGreaterThan(25_000);
  });

  it("uses onPacket traffic when the producer gives it (no double counting)", () => {
    const match = generateMatch({ seed: 3, durationMs: 40_000, sessions: 1, spikes: [{ kind: "queueBuildup", startMs: 20_000, durationMs: 200, extraMs: 60 }] });
    const analyzer = new LatencyAnalyzer();
    let lastIndex = -1;
    const originalOnMessage = analyzer.onMessage.bind(analyzer);
    analyzer.onMessage = (entry: GameMessage) => {
      if (entry.packetIndex !== lastIndex) {
        lastIndex = entry.packetIndex;
        analyzer.onPacket({
          sessionId: entry.sessionId,
          direction: entry.direction,
          tUs: entry.tUs,
          packetIndex: entry.packetIndex,
          wireLength: entry.packetWireLength,
          payloadLength: entry.packetWireLength - 42,
          frameCount: 1,
        });
      }
      originalOnMessage(entry);
    };
    const report = runAnalyzer(analyzer, match);
    expect(report.sessions[0].spikes[0].causes[0].kind).toBe("queueBuildup");
  });
});
