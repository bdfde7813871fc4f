import { describe, expect, it } from "vitest";
import type { GameMessage } from "../game-message.js";
import { compileProtocol, type ProtocolDefinition } from "../protocol/index.js";
import type { MessageRoles } from "../roles.js";
import type { Direction } from "../session.js";
import { decodeAll, testContext } from "../test-support/protocols.js";
import { EchoRttMatcher } from "./echo-rtt-matcher.js";
import type { RttSample } from "./rtt-sample.js";

function message(direction: Direction, tUs: number, roles: MessageRoles): GameMessage {
  return { sessionId: "s", direction, tUs, packetIndex: 0, indexInPacket: 0, type: "m", byteLength: 10, packetWireLength: 60, fields: {}, roles };
}

function matcher(): { matcher: EchoRttMatcher; rtts: number[]; sentAt: number[] } {
  const rtts: number[] = [];
  const sentAt: number[] = [];
  const echo = new EchoRttMatcher((sample: RttSample) => {
    rtts.push(sample.rttMs);
    sentAt.push(sample.tUs);
  });
  return { matcher: echo, rtts, sentAt };
}

describe("EchoRttMatcher: a pong with both echoId and echoTime (issue 14 §5.3)", () => {
  it("matches on the id and measures from the send whose clock the reply echoes (a resent ping)", () => {
    const { matcher: echo, rtts, sentAt } = matcher();
    // Ping 7 sent at 0 (client clock 5,000 ms), lost; resent at 200 ms (client clock 5,200 ms).
    echo.onMessage(message("clientToServer", 0, { echoKey: "7", echoId: "7", echoTimeUs: 5_000_000, echoPhase: "request" }));
    echo.onMessage(message("clientToServer", 200_000, { echoKey: "7", echoId: "7", echoTimeUs: 5_200_000, echoPhase: "request" }));
    // The pong echoes id 7 and the resend's clock: 30 ms after the resend, not 230 ms after the first send.
    echo.onMessage(message("serverToClient", 230_000, { echoKey: "7", echoId: "7", echoTimeUs: 5_200_000, echoPhase: "reply" }));
    expect(rtts).toEqual([30]);
    expect(sentAt).toEqual([200_000]);
  });

  it("uses the request's sendTime when it has no echoTime of its own, and the first send when the echoed time is unknown", () => {
    const { matcher: echo, rtts } = matcher();
    echo.onMessage(message("clientToServer", 0, { echoKey: "1", echoId: "1", sendTimeUs: 9_000, echoPhase: "request" }));
    echo.onMessage(message("clientToServer", 100_000, { echoKey: "1", echoId: "1", sendTimeUs: 109_000, echoPhase: "request" }));
    echo.onMessage(message("serverToClient", 140_000, { echoKey: "1", echoId: "1", echoTimeUs: 109_000, echoPhase: "reply" }));
    echo.onMessage(message("clientToServer", 1_000_000, { echoKey: "2", echoId: "2", echoTimeUs: 1, echoPhase: "request" }));
    echo.onMessage(message("clientToServer", 1_100_000, { echoKey: "2", echoId: "2", echoTimeUs: 2, echoPhase: "request" }));
    echo.onMessage(message("serverToClient", 1_150_000, { echoKey: "2", echoId: "2", echoTimeUs: 99, echoPhase: "reply" }));
    // Without an echoed time, as before: from the first send.
    echo.onMessage(message("clientToServer", 2_000_000, { echoKey: "3", echoPhase: "request" }));
    echo.onMessage(message("clientToServer", 2_050_000, { echoKey: "3", echoPhase: "request" }));
    echo.onMessage(message("serverToClient", 2_080_000, { echoKey: "3", echoPhase: "reply" }));
    expect(rtts).toEqual([40, 150, 80]);
  });

  it("remembers at most 8 sends of one request and ignores resends seen in the other direction", () => {
    const { matcher: echo, rtts } = matcher();
    for (let send = 0; send < 12; send++) echo.onMessage(message("clientToServer", send * 10_000, { echoKey: "k", echoTimeUs: send, echoId: "k", echoPhase: "request" }));
    echo.onMessage(message("serverToClient", 115_000, { echoKey: "k", echoId: "k", echoTimeUs: 7, echoPhase: "request" }));
    echo.onMessage(message("serverToClient", 125_000, { echoKey: "k", echoId: "k", echoTimeUs: 11, echoPhase: "reply" }));
    // Send 11 was past the bound: measured from the first send.
    expect(rtts).toEqual([125]);
    echo.onMessage(message("clientToServer", 200_000, { echoKey: "j", echoId: "j", echoTimeUs: 0, echoPhase: "request" }));
    echo.onMessage(message("clientToServer", 210_000, { echoKey: "j", echoId: "j", echoTimeUs: 7, echoPhase: "request" }));
    echo.onMessage(message("serverToClient", 215_000, { echoKey: "j", echoId: "j", echoTimeUs: 7, echoPhase: "reply" }));
    expect(rtts).toEqual([125, 5]);
  });

  it("end to end from a definition: ping (id + client clock) and pong (id + echoed clock), decoded in either mode", () => {
    const definition: ProtocolDefinition = {
      name: "pingPong",
      body: {
        repeat: "untilEnd",
        frameHeader: [{ name: "type", type: "u8", role: "messageType" }],
        select: { on: "type", cases: [{ value: 1, message: "ping" }, { value: 2, message: "pong" }] },
      },
      messages: [
        { name: "ping", fields: [{ name: "id", type: "u16", role: "echoId", echoPhase: "request" }, { name: "clientMs", type: "u32", unit: "ms", role: "echoTime", echoPhase: "request" }] },
        { name: "pong", fields: [{ name: "clientMs", type: "u32", unit: "ms", role: "echoTime", echoPhase: "reply" }, { name: "id", type: "u16", role: "echoId", echoPhase: "reply" }] },
      ],
    };
    for (const mode of ["compiled", "interpreted"] as const) {
      const protocol = compileProtocol(definition, { mode });
      const { matcher: echo, rtts } = matcher();
      const feed = (type: string, fields: Record<string, number>, direction: Direction, tUs: number): void => {
        for (const decoded of decodeAll(protocol, protocol.encodeDatagram([{ type, fields }]), testContext({ direction, tUs, sessionId: "s" })).messages) echo.onMessage(decoded);
      };
      feed("ping", { id: 3, clientMs: 4_294_967_295 }, "clientToServer", 1_000_000);
      feed("ping", { id: 3, clientMs: 55 }, "clientToServer", 1_056_000);
      feed("pong", { id: 3, clientMs: 55 }, "serverToClient", 1_101_000);
      expect(rtts).toEqual([45]);
    }
  });
});
