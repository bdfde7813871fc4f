import { RoleUnwrapper, type GameMessage } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { createAnticheatAnalyzer } from "./anticheat-analyzer.js";

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
