import { RoleUnwrapper, type GameMessage } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { createAnticheatAnalyzer } from "./anticheat-analyzer.js";
import { protocolRewindClock } from "./detectors/rewind-detector.js";

const U16_MS_US = 65_536_000;

/**
 * One honest client of a protocol with a u16 millisecond clock and a u16 tick
 * (both wrap every ~65 s / ~18 min) and its server, as a team with its own
 * telemetry would build the messages: wire values plus where they wrap.
 */
function* honestFeed(durationS: number): Generator<GameMessage> {
  let packetIndex = 0;
  const clientOriginMs = 60_000;
  const serverOriginMs = 12_345;
  for (let frame = 0; frame < durationS * 60; frame++) {
    const sentMs = (frame * 1000) / 60;
    if (frame % 3 === 0) {
      const serverMs = Math.floor(serverOriginMs + sentMs) % 65_536;
      yield {
        sessionId: "player-1",
        direction: "serverToClient",
        tUs: 1e15 + sentMs * 1000,
        packetIndex: packetIndex++,
        indexInPacket: 0,
        type: "snapshot",
        byteLength: 60,
        packetWireLength: 102,
        fields: {},
        roles: { sequence: (frame / 3) % 65_536, sequenceBits: 16, sendTimeUs: serverMs * 1000, sendTimeModulusUs: U16_MS_US },
      };
    }
    const clientMs = Math.floor(clientOriginMs + sentMs) % 65_536;
    yield {
      sessionId: "player-1",
      direction: "clientToServer",
      tUs: 1e15 + (sentMs + 30 + ((frame * 7) % 3)) * 1000,
      packetIndex: packetIndex++,
      indexInPacket: 0,
      type: "input",
      byteLength: 30,
      packetWireLength: 72,
      fields: {},
      roles: {
        sequence: frame % 65_536,
        sequenceBits: 16,
        sendTimeUs: clientMs * 1000,
        sendTimeModulusUs: U16_MS_US,
        tick: (65_000 + frame) % 65_536,
        tickBits: 16,
        inputSequence: frame,
        inputSequenceBits: 32,
        inputCount: 1,
      },
    };
  }
}

describe("feeding the analyzer directly with a clock that wraps (README: own telemetry)", () => {
  it("with core's RoleUnwrapper the honest player stays clean across two wraps of a u16 ms clock", () => {
    const analyzer = createAnticheatAnalyzer();
    const unwrapper = new RoleUnwrapper();
    for (const message of honestFeed(150)) {
      unwrapper.apply(message);
      analyzer.onMessage(message);
    }
    const report = analyzer.finish();
    expect(report.players.map((player) => player.verdict)).toEqual(["clean"]);
    expect(report.findings).toEqual([]);
  });

  it("without it, the wraps look like a clock running backwards (why the README asks for it)", () => {
    const analyzer = createAnticheatAnalyzer();
    for (const message of honestFeed(150)) analyzer.onMessage(message);
    const report = analyzer.finish();
    expect(report.players[0]!.verdict).not.toBe("clean");
  });
});

/**
 * A client whose shots ask to rewind to a time in the *server's* u24 ms clock
 * (its snapshots' send time), while its own u24 ms clock has another origin:
 * the server's clock is just below its wrap. Honest shots ask for about
 * 100 ms + RTT; an abuser for 1.5 s.
 */
function* serverClockShots(
  rewindMs: number,
  { sessionId = "shooter", bits = 24, serverOriginMs = 2 ** bits - 5_000, clientOriginMs = 1_000, seed: firstSeed = 12_345 }: { sessionId?: string; bits?: number; serverOriginMs?: number; clientOriginMs?: number; seed?: number } = {},
): Generator<GameMessage> {
  const modulus = 2 ** bits;
  const clockModulusUs = modulus * 1000;
  const oneWayMs = 25;
  let packetIndex = 0;
  let lastServerSequence = -1;
  let seed = firstSeed; // shots at irregular moments (a human, not a bot)
  const serverSends: number[] = [];
  for (let frame = 0; frame < 60 * 60; frame++) {
    const nowMs = (frame * 1000) / 60;
    if (frame % 3 === 0) {
      const sequence = serverSends.length;
      serverSends.push(nowMs);
      yield {
        sessionId,
        direction: "serverToClient",
        tUs: 1e15 + nowMs * 1000,
        packetIndex: packetIndex++,
        indexInPacket: 0,
        type: "snapshot",
        byteLength: 60,
        packetWireLength: 102,
        fields: {},
        roles: { sequence, sequenceBits: 16, sendTimeUs: (Math.floor(serverOriginMs + nowMs) % modulus) * 1000, sendTimeModulusUs: clockModulusUs },
      };
    }
    while (lastServerSequence + 1 < serverSends.length && serverSends[lastServerSequence + 1]! + oneWayMs <= nowMs) lastServerSequence++;
    const arrivalUs = 1e15 + (nowMs + oneWayMs) * 1000;
    const clientRoles = { sequence: frame, sequenceBits: 16, ack: Math.max(lastServerSequence, 0), sendTimeUs: (Math.floor(clientOriginMs + nowMs) % modulus) * 1000, sendTimeModulusUs: clockModulusUs };
    yield { sessionId, direction: "clientToServer", tUs: arrivalUs, packetIndex: packetIndex++, indexInPacket: 0, type: "input", byteLength: 30, packetWireLength: 72, fields: {}, roles: { ...clientRoles, inputSequence: frame, inputCount: 1 } };
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    if ((seed >>> 16) % 10 === 0) {
      // The world the client saw: the server's clock one way + interpolation ago, minus the rewind asked for.
      const targetMs = Math.floor(serverOriginMs + nowMs - oneWayMs - rewindMs) % modulus;
      yield {
        sessionId,
        direction: "clientToServer",
        tUs: arrivalUs,
        packetIndex: packetIndex - 1,
        indexInPacket: 1,
        type: "shot",
        byteLength: 12,
        packetWireLength: 72,
        fields: {},
        roles: { ...clientRoles, targetTimeUs: ((targetMs % modulus) + modulus) % modulus * 1000, targetTimeModulusUs: clockModulusUs },
      };
    }
  }
}

describe("rewind requests in the server's wrapping clock", () => {
  function analyze(rewindMs: number) {
    const analyzer = createAnticheatAnalyzer();
    const unwrapper = new RoleUnwrapper();
    for (const message of serverClockShots(rewindMs)) {
      unwrapper.apply(message);
      analyzer.onMessage(message);
    }
    return analyzer.finish();
  }

  it("measures them across the wrap with the field's own modulus (u24 ms: not a multiple of 2^32 µs): an honest shooter is clean, a 1.5 s rewind is caught", () => {
    const honest = analyze(100);
    expect(honest.players[0]!.verdict).toBe("clean");
    const abuser = analyze(1500);
    expect(abuser.findings.map((finding) => finding.kind)).toContain("rewindAbuse");
  });
});

describe("rewind requests when the client's and the server's clocks are close (u32 ms, both from just below the wrap)", () => {
  it("judges every session in the protocol's clock: a rewind that lands near the client's own clock is still caught, honest shooters stay clean", () => {
    // Like le-wrapping-clock: every host's u32 ms clock starts a few seconds before 2^32 ms. The
    // abuser's clock runs 1 s behind the server's, so its 930 ms rewind (server clock) reads as an
    // honest-looking −45 ms against its own clock; the honest shooters' clocks are seconds away.
    const serverOriginMs = 2 ** 32 - 3_000;
    const feeds = [
      serverClockShots(100, { sessionId: "honest-a", bits: 32, serverOriginMs, clientOriginMs: 2 ** 32 - 8_000, seed: 1 }),
      serverClockShots(100, { sessionId: "honest-b", bits: 32, serverOriginMs, clientOriginMs: 2 ** 32 - 6_000, seed: 2 }),
      serverClockShots(100, { sessionId: "honest-c", bits: 32, serverOriginMs, clientOriginMs: 2 ** 32 - 2_000 + 3_500, seed: 3 }),
      serverClockShots(930, { sessionId: "abuser", bits: 32, serverOriginMs, clientOriginMs: 2 ** 32 - 4_000, seed: 4 }),
    ];
    const messages = feeds.flatMap((feed) => [...feed]).sort((a, b) => a.tUs - b.tUs || a.sessionId.localeCompare(b.sessionId));
    const analyzer = createAnticheatAnalyzer();
    const unwrapper = new RoleUnwrapper();
    for (const message of messages) {
      unwrapper.apply(message);
      analyzer.onMessage(message);
    }
    const report = analyzer.finish();
    const rewind = report.findings.filter((finding) => finding.kind === "rewindAbuse");
    expect(rewind.map((finding) => finding.session)).toEqual(["abuser"]);
    expect(rewind[0]!.evidence.values.targetClock).toBe("server");
    expect(rewind[0]!.evidence.values.medianRewindMs as number).toBeGreaterThan(900);
    expect(report.players.filter((player) => player.verdict !== "clean").map((player) => player.session)).toEqual(["abuser"]);
  });

  it("the protocol's clock is the one most sessions' targets are nearest to: one vote per session, none on a tie", () => {
    expect(protocolRewindClock(["server", "client", "server", undefined])).toBe("server");
    expect(protocolRewindClock(["server", "capture"])).toBeUndefined();
    expect(protocolRewindClock([undefined])).toBeUndefined();
  });
});

describe("a tick-only claimed clock that wraps (no sendTime: claimed time = tick × tick length)", () => {
  /** 60 Hz inputs carrying only a 12-bit tick (wraps every ~68 s), optionally at `speed` × real time. */
  function* tickFeed(speed: number): Generator<GameMessage> {
    let packetIndex = 0;
    for (let frame = 0; frame < 150 * 60 * speed; frame++) {
      const realMs = (frame * 1000) / 60 / speed;
      yield {
        sessionId: "ticker",
        direction: "clientToServer",
        tUs: 1e15 + (realMs + 30 + (frame % 3)) * 1000,
        packetIndex: packetIndex++,
        indexInPacket: 0,
        type: "input",
        byteLength: 20,
        packetWireLength: 62,
        fields: {},
        roles: { tick: (4000 + frame) % 4096, tickBits: 12, inputSequence: frame, inputCount: 1 },
      };
    }
  }

  function verdict(speed: number): string[] {
    const analyzer = createAnticheatAnalyzer();
    const unwrapper = new RoleUnwrapper();
    for (const message of tickFeed(speed)) {
      unwrapper.apply(message);
      analyzer.onMessage(message);
    }
    return analyzer.finish().findings.map((finding) => finding.kind);
  }

  it("an honest client is clean across two tick wraps; a 1.5x speedhack is still found", () => {
    expect(verdict(1)).toEqual([]);
    expect(verdict(1.5)).toContain("speedhack");
  });
});

