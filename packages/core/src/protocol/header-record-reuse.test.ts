import { describe, expect, it } from "vitest";
import type { GameMessage } from "../game-message.js";
import { compileProtocol } from "./compile-protocol.js";
import type { ProtocolDefinition } from "./definition-schema.js";

const context = { sessionId: "s", direction: "clientToServer" as const, tUs: 0, packetIndex: 0, packetWireLength: 0 };

function decodeEach(definition: ProtocolDefinition, datagrams: Uint8Array[], mode: "compiled" | "interpreted"): GameMessage[] {
  const protocol = compileProtocol(definition, { mode });
  const messages: GameMessage[] = [];
  for (const datagram of datagrams) protocol.decodeDatagram(datagram, context, (message) => messages.push(message), () => undefined);
  return messages;
}

describe("the datagram header record of decodeDatagram", () => {
  it("with unconditional header fields, each datagram's roles come from its own header (one reused record)", () => {
    const definition = {
      name: "reuse",
      header: [
        { name: "sequence", type: "u16", role: "sequence" },
        { name: "sendTimeUs", type: "u32", role: "sendTime", unit: "us" },
      ],
      body: { repeat: "untilEnd", frameHeader: [{ name: "type", type: "u8" }], select: { on: "type", cases: [{ value: 1, message: "ping" }] } },
      messages: [{ name: "ping", fields: [{ name: "pingId", type: "u8", role: "echoId", echoPhase: "request" }] }],
    } as ProtocolDefinition;
    const datagrams = [Uint8Array.of(0, 1, 0, 0, 0, 10, 1, 7, 1, 8), Uint8Array.of(0, 2, 0, 0, 0, 20, 1, 9), Uint8Array.of(0, 3)];
    for (const mode of ["compiled", "interpreted"] as const) {
      const messages = decodeEach(definition, datagrams, mode);
      expect(messages.map((message) => [message.roles.sequence, message.roles.sendTimeUs, message.roles.echoId])).toEqual([
        [1, 10, "7"],
        [1, 10, "8"],
        [2, 20, "9"],
      ]);
    }
  });

  it("with a conditional header field, a field absent from a datagram is absent from its roles (no value left from the one before)", () => {
    const definition = {
      name: "conditional",
      header: [
        { name: "flags", type: "u8" },
        { name: "sequence", type: "u16", role: "sequence", when: { field: "flags", equals: 1 } },
      ],
      body: { repeat: "untilEnd", frameHeader: [{ name: "type", type: "u8" }], select: { on: "type", cases: [{ value: 1, message: "ping" }] } },
      messages: [{ name: "ping", fields: [{ name: "pingId", type: "u8", role: "echoId", echoPhase: "request" }] }],
    } as ProtocolDefinition;
    const datagrams = [Uint8Array.of(1, 0, 5, 1, 7), Uint8Array.of(0, 1, 8)];
    for (const mode of ["compiled", "interpreted"] as const) {
      const messages = decodeEach(definition, datagrams, mode);
      expect(messages.map((message) => [message.roles.sequence, message.roles.echoId])).toEqual([
        [5, "7"],
        [undefined, "8"],
      ]);
    }
  });

  it("decodeDatagramFields returns a header of each datagram's own", () => {
    const protocol = compileProtocol({
      name: "own",
      header: [{ name: "sequence", type: "u16" }],
      body: { repeat: "untilEnd", frameHeader: [{ name: "type", type: "u8" }], select: { on: "type", cases: [{ value: 1, message: "m" }] } },
      messages: [{ name: "m", fields: [] }],
    } as ProtocolDefinition);
    const first = protocol.decodeDatagramFields(Uint8Array.of(0, 1, 1));
    const second = protocol.decodeDatagramFields(Uint8Array.of(0, 2, 1));
    expect(first.header).toEqual({ sequence: 1 });
    expect(second.header).toEqual({ sequence: 2 });
  });
});
