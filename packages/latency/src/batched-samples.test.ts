import { SessionRtt, SessionRttSignals, type Direction, type GameMessage, type MessageRoles } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { LatencyAnalyzer } from "./latency-analyzer.js";
import { generateMatch, runAnalyzer } from "./test-support/synthetic-match.js";

function message(sessionId: string, direction: Direction, tUs: number, packetIndex: number, roles: MessageRoles, type = "data"): GameMessage {
  return { sessionId, direction, tUs, packetIndex, indexInPacket: 0, type, byteLength: 40, packetWireLength: 90, fields: {}, roles };
}

/** Numbers datagrams by (time, direction), in time order. */
function numbered(messages: GameMessage[]): GameMessage[] {
  messages.sort((a, b) => a.tUs - b.tUs || (a.direction < b.direction ? -1 : a.direction > b.direction ? 1 : 0));
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

/**
 * A client sending at 30 Hz, each datagram acked `ackRttMs(n)` later; every
 * tenth datagram also carries a ping the server answers 20 ms later.
 */
function ackSpikeEchoCalm(count: number, ackRttMs: (n: number) => number): GameMessage[] {
  const messages: GameMessage[] = [];
  for (let n = 0; n < count; n++) {
    const sendUs = 1e15 + n * 33_333;
    messages.push(message("s", "clientToServer", sendUs, 0, { sequence: n & 0xffff, sequenceBits: 16 }, "input"));
    messages.push(message("s", "serverToClient", sendUs + ackRttMs(n) * 1000, 0, { ack: n & 0xffff }, "snapshot"));
    if (n % 10 === 0) {
      messages.push(message("s", "clientToServer", sendUs, 0, { sequence: n & 0xffff, sequenceBits: 16, echoKey: `p${n}`, echoPhase: "request" }, "ping"));
      messages.push(message("s", "serverToClient", sendUs + 20_000, 0, { echoKey: `p${n}`, echoPhase: "reply" }, "pong"));
    }
  }
  return numbered(messages);
}

describe("LatencyAnalyzer: values added in batches after spike detection", () => {
  it("judges an ack spike with the echo samples taken during it, though their values were still waiting", () => {
    // Ack RTT 20 ms, 300 ms for 3 s; the pings taken during it stay at 20 ms: the echo series contradicts the ack spike.
    const analyzer = new LatencyAnalyzer();
    for (const entry of ackSpikeEchoCalm(900, (n) => (n >= 300 && n < 390 ? 300 : 20))) analyzer.onMessage(entry);
    const state = analyzer.saveState();
    const ack = state.sessions[0].series.find((series) => series.method === "ack" && series.direction === "clientToServer")!;
    expect(ack.spikes.length).toBe(1);
    expect(ack.spikes[0].contradictedBy).toEqual(["echo\u0000clientToServer"]);
    const echo = state.sessions[0].series.find((series) => series.method === "echo")!;
    expect(echo.spikes).toEqual([]);
  });

  it("feeds the RTT-series jitter with exactly the samples taken before a send-time stream's second datagram", () => {
    const messages: GameMessage[] = [];
    // 40 acked datagrams without a send time, then 40 with one (the stream has 2 datagrams from the 42nd on).
    for (let n = 0; n < 80; n++) {
      const sendUs = 1e15 + n * 33_333;
      const roles: MessageRoles = n < 40 ? { sequence: n, sequenceBits: 16 } : { sequence: n, sequenceBits: 16, sendTimeUs: sendUs };
      messages.push(message("s", "clientToServer", sendUs, 0, roles, "input"));
      messages.push(message("s", "serverToClient", sendUs + (20 + (n % 7)) * 1000, 0, { ack: n }, "snapshot"));
    }
    const analyzer = new LatencyAnalyzer();
    for (const entry of numbered(messages)) analyzer.onMessage(entry);
    const state = analyzer.saveState();
    const signals = state.sessions[0].signals;
    expect(signals.hasReceivedStream).toBe(true);
    const ack = signals.series.find((series) => series.method === "ack")!;
    // Ack samples arrive 20–26 ms after their send, before the next send (33 ms): samples 0–40 came before datagram 41's send time.
    expect(ack.jitter.packets).toBe(41);
    expect(state.sessions[0].rtt.series.find((series) => series.method === "ack")!.sketch.count).toBe(80);
  });

  it("adds every waiting value before saving, whatever the batch's fill", () => {
    for (const count of [1, 63, 64, 65, 200]) {
      const messages: GameMessage[] = [];
      for (let n = 0; n < count; n++) {
        const sendUs = 1e15 + n * 33_333;
        messages.push(message("s", "clientToServer", sendUs, 0, { sequence: n, sequenceBits: 16 }, "input"));
        messages.push(message("s", "serverToClient", sendUs + 25_000, 0, { ack: n }, "snapshot"));
      }
      const analyzer = new LatencyAnalyzer();
      for (const entry of numbered(messages)) analyzer.onMessage(entry);
      const report = analyzer.finish();
      const ack = report.sessions[0].series.find((series) => series.method === "ack")!;
      expect(ack.samples, `${count} samples`).toBe(count);
      expect(report.sessions[0].perMinute.reduce((sum, minute) => sum + minute.samples, 0)).toBe(count);
      expect(report.sessions[0].timeline.reduce((sum, point) => sum + point.samples, 0)).toBe(count);
    }
  });

  it("scores a spike with the server gap committed as it closes (a stall's gap is not left waiting)", () => {
    // Client datagrams every 33 ms; the server answers each 20 ms later with an ack of the client's latest,
    // except 10.0–10.6 s (acks 300 ms behind: a spike) and a stall 10.6–11.0 s. The spike closes on the first
    // datagram after the stall (minSamples 1), whose 400 ms gap is committed only then.
    const messages: GameMessage[] = [];
    const startUs = 1e15;
    let serverSequence = 0;
    for (let n = 0; n < 600; n++) {
      const sendUs = startUs + n * 33_000;
      messages.push(message("s", "clientToServer", sendUs, 0, { sequence: n, sequenceBits: 16 }, "input"));
      const replyUs = sendUs + 20_000;
      const offsetUs = replyUs - startUs;
      if (offsetUs >= 10_600_000 && offsetUs < 11_000_000) continue;
      const lagging = offsetUs >= 10_000_000 && offsetUs < 10_600_000;
      const acked = lagging ? n - 9 : n;
      messages.push(message("s", "serverToClient", lagging ? startUs + acked * 33_000 + 300_000 : replyUs, 0, { ack: acked, sequence: serverSequence++, sequenceBits: 16 }, "snapshot"));
    }
    const report = new LatencyAnalyzer({ spike: { minSamples: 1 } });
    for (const entry of numbered(messages)) report.onMessage(entry);
    const spikes = report.finish().sessions[0].spikes;
    expect(spikes.length).toBe(1);
    expect(spikes[0].causes.map((cause) => cause.kind)).toContain("tickStall");
  });

  it("detects spikes in the batch exactly as on arrival (a log event makes detection run on arrival)", () => {
    for (const seed of [3, 8]) {
      const match = generateMatch({
        seed,
        durationMs: 90_000,
        sessions: 4,
        lossProbability: 0.01,
        spikes: [
          { kind: "tickStall", startMs: 15_000, durationMs: 250 },
          { kind: "lossBurst", startMs: 30_000, durationMs: 300, extraMs: 80 },
          { kind: "tickStall", startMs: 45_000, durationMs: 400 },
          { kind: "snapshotBurst", startMs: 60_000, durationMs: 300 },
          { kind: "sharedPath", startMs: 75_000, durationMs: 400, extraMs: 150 },
        ],
      });
      match.logEvents.length = 0;
      for (const minSamples of [1, 2]) {
        const batched = runAnalyzer(new LatencyAnalyzer({ spike: { minSamples } }), match);
        const onArrival = new LatencyAnalyzer({ spike: { minSamples } });
        // An hour before the match (no other log events): no spike's window reaches it, so no cause scores from it.
        onArrival.onLogEvent({ tUs: match.startUs - 3_600_000_000, type: "restart", values: {}, labels: {}, line: 1 });
        const reference = runAnalyzer(onArrival, match);
        expect(batched.sessions.flatMap((session) => session.spikes).length, `seed ${seed}`).toBeGreaterThan(3);
        expect(batched.sessions.flatMap((session) => session.spikes.flatMap((spike) => spike.causes)).length).toBeGreaterThan(3);
        delete (reference.anomalies as Record<string, number>).E_LOG_PLAYER_UNKNOWN;
        expect(JSON.stringify(batched), `seed ${seed}, minSamples ${minSamples}`).toBe(JSON.stringify(reference));
      }
    }
  });

  it("decodes every kind of waiting entry in order: lost packets, resends, ack channels, 70 message types", () => {
    // Client datagrams every 20 ms on 3 channels (acks name the channel), 70 message types; at 30 s: 12 of
    // channel 0's datagrams lost and 9 resends in the second before the acks jump to 250 ms.
    const messages: GameMessage[] = [];
    const sequences = [0, 0, 0];
    for (let n = 0; n < 3000; n++) {
      const sendUs = 1e15 + n * 20_000;
      const channel = n % 3;
      const sequence = sequences[channel]++;
      const burst = n >= 1452 && n < 1500;
      if (!(burst && channel === 0 && n < 1488)) {
        const resent = burst && channel === 1 && n >= 1473 ? 1 : 0;
        messages.push(message("s", "clientToServer", sendUs, 0, { sequence, sequenceBits: 16, channel, resendCount: resent }, `t${n % 70}`));
      }
      const delayMs = 20 + (n % 7) + (n >= 1500 && n < 1530 ? 250 : 0);
      messages.push(message("s", "serverToClient", sendUs + delayMs * 1000, 0, { ack: sequence, ackChannel: channel }, "snapshot"));
    }
    const analyzer = new LatencyAnalyzer();
    for (const entry of numbered(messages)) analyzer.onMessage(entry);
    const state = analyzer.saveState();
    expect(state.sessions[0].rtt.series.find((series) => series.method === "ack")!.channels.map((entry) => entry[0])).toEqual(["0", "1", "2"]);
    const spike = state.sessions[0].series.find((series) => series.method === "ack")!.spikes.find((entry) => entry.spike.startUs >= 1e15 + 29_000_000)!;
    const evidence = (kind: string): Record<string, unknown> => Object.fromEntries(spike.causes.find((cause) => cause.kind === kind)!.evidence.map((entry) => [entry[0], entry[2]]));
    // Channel 0's 12 missing sequences, and channel 1's 9 resent ones (a resend does not advance its stream: the next datagram skips them).
    expect(evidence("lossBurst").lostPackets).toBe(21);
    expect(evidence("retransmissionStorm").resends).toBe(9);
  });

  it("gives each send-time stream the modulus, sequence bits and channel its datagrams had, as core's streams fed directly", () => {
    const messages: GameMessage[] = [];
    for (let n = 0; n < 400; n++) {
      const sendUs = 1e15 + n * 20_000;
      const modulus = n >= 100 && n < 130 ? 65_536_000 : n >= 300 ? 4_294_967_296_000 : undefined;
      const roles: MessageRoles = { sequence: n, sequenceBits: n >= 200 ? 32 : 16, channel: n % 3 === 0 ? 7 : 1, sendTimeUs: (n >= 250 ? sendUs + 30_000_000 : sendUs) % (modulus ?? Infinity) };
      if (modulus !== undefined) roles.sendTimeModulusUs = modulus;
      messages.push(message("s", "clientToServer", sendUs + 10_000 + (n % 5) * 700, 0, roles, "input"));
      messages.push(message("s", "serverToClient", sendUs + 25_000, 0, { ack: n, sendTimeUs: sendUs + 20_000 }, "snapshot"));
    }
    const analyzer = new LatencyAnalyzer();
    const direct = new SessionRttSignals(new SessionRtt(), undefined, () => undefined);
    for (const entry of numbered(messages)) {
      analyzer.onMessage(entry);
      direct.addSendTime(entry, entry.roles.sendTimeUs!);
    }
    const streams = analyzer.finish().streams;
    const expected = direct.orderedSendTimeStreams();
    expect(streams.map((stream) => `${stream.direction}/${stream.ssrcOrChannel}`)).toEqual(expected.map((stream) => `${stream.direction}/${stream.channel}`));
    expect(streams.map((stream) => stream.restarts)).toEqual(expected.map((stream) => stream.jitter.restartCount));
    expect(streams.map((stream) => stream.timestampResets.map((reset) => reset.reason))).toEqual(expected.map((stream) => stream.jitter.restarts.map((restart) => restart.reason)));
    expect(streams.flatMap((stream) => stream.timestampResets.map((reset) => reset.packetIndex))).toEqual(expected.flatMap((stream) => stream.restartPacketIndices));
    expect(streams.map((stream) => stream.jitterMs.mean)).toEqual(expected.map((stream) => Math.round(stream.jitter.meanJitterUs) / 1000));
    expect(expected.reduce((sum, stream) => sum + stream.jitter.restartCount, 0)).toBeGreaterThan(3);
  });

  it("gives a session's send-time streams past the 64 its batch names their datagrams at once, in order", () => {
    const messages: GameMessage[] = [];
    for (let n = 0; n < 700; n++) {
      const sendUs = 1e15 + n * 10_000;
      messages.push(message("s", "clientToServer", sendUs + 5000 + (n % 9) * 300, 0, { sequence: n, channel: n % 70, sendTimeUs: sendUs }, "input"));
      messages.push(message("s", "serverToClient", sendUs + 20_000, 0, { ack: n }, "snapshot"));
    }
    const analyzer = new LatencyAnalyzer();
    const direct = new SessionRttSignals(new SessionRtt(), undefined, () => undefined);
    for (const entry of numbered(messages)) {
      analyzer.onMessage(entry);
      if (entry.roles.sendTimeUs !== undefined) direct.addSendTime(entry, entry.roles.sendTimeUs);
    }
    const streams = analyzer.finish().streams;
    const expected = direct.orderedSendTimeStreams();
    expect(streams.length).toBe(70);
    expect(streams.map((stream) => [stream.ssrcOrChannel, stream.packets, stream.jitterMs.last])).toEqual(expected.map((stream) => [stream.channel, stream.jitter.packets, Math.round(stream.jitter.jitterUs) / 1000]));
  });

  it("unwraps each sequence with the bits its message gave (an 8-bit sequence losing 12 across its wrap)", () => {
    const messages: GameMessage[] = [];
    for (let n = 0; n < 3000; n++) {
      const sendUs = 1e15 + n * 20_000;
      // 1,490 ≡ 210 (mod 256): sequences 250…5 (across the wrap) are lost just before the acks jump to 250 ms.
      if (!(n >= 1490 + 40 && n < 1490 + 52)) messages.push(message("s", "clientToServer", sendUs, 0, { sequence: n & 0xff, sequenceBits: 8 }, "input"));
      const delayMs = 20 + (n % 7) + (n >= 1545 && n < 1575 ? 250 : 0);
      messages.push(message("s", "serverToClient", sendUs + delayMs * 1000, 0, { ack: n & 0xff, ackBits: 0, ackBitsWidth: 0 }, "snapshot"));
    }
    const analyzer = new LatencyAnalyzer();
    for (const entry of numbered(messages)) analyzer.onMessage(entry);
    const spike = analyzer.saveState().sessions[0].series.find((series) => series.method === "ack")!.spikes.find((entry) => entry.spike.startUs >= 1e15 + 30_000_000)!;
    const loss = spike.causes.find((cause) => cause.kind === "lossBurst")!;
    expect(Object.fromEntries(loss.evidence.map((entry) => [entry[0], entry[2]])).lostPackets).toBe(12);
  });

  it("counts a header repeated on a datagram's messages once, and a sequence sent again in a new datagram as a resend", () => {
    // 3,000 client datagrams of 3 messages (the header on each; the 2nd and 3rd marked resent, which a repeated header ignores);
    // at 29.5–30 s each datagram is followed by a new datagram resending its sequence: 25 resends.
    const messages: GameMessage[] = [];
    for (let n = 0; n < 3000; n++) {
      const sendUs = 1e15 + n * 20_000;
      for (let index = 0; index < 3; index++) messages.push(message("s", "clientToServer", sendUs, 0, { sequence: n, sequenceBits: 16, sendTimeUs: sendUs, resendCount: index === 0 ? 0 : 1 }, `m${index}`));
      if (n >= 1475 && n < 1500) messages.push(message("s", "clientToServer", sendUs + 5000, 0, { sequence: n, sequenceBits: 16, sendTimeUs: sendUs + 5000, resendCount: 1 }, "m0"));
      const delayMs = 20 + (n % 7) + (n >= 1500 && n < 1530 ? 250 : 0);
      messages.push(message("s", "serverToClient", sendUs + delayMs * 1000, 0, { ack: n }, "snapshot"));
    }
    const analyzer = new LatencyAnalyzer();
    for (const entry of numbered(messages)) analyzer.onMessage(entry);
    const report = analyzer.finish();
    const spike = report.sessions[0].spikes.find((entry) => entry.startUs >= 1e15 + 29_000_000)!;
    expect(spike.causes.find((cause) => cause.kind === "retransmissionStorm")!.evidence.resends).toBe(25);
    expect(report.streams.find((stream) => stream.direction === "clientToServer")!.packets).toBe(3025);
  });
});
