import { describe, expect, it } from "vitest";
import { decodeAll } from "../test-support/protocols.js";
import { compileProtocol, type ProtocolDefinition } from "./index.js";

/**
 * A netcode-style header: 4 bits of sequence byte count, 4 bits of message
 * type, then the sequence in that many little-endian bytes (0 bytes = no sequence).
 */
const headerDefinition: ProtocolDefinition = {
  name: "zero_width_header",
  byteOrder: "little",
  header: [
    { name: "sequenceBytes", type: "uint", bits: 4 },
    { name: "kind", type: "uint", bits: 4, role: "messageType" },
    { name: "sequence", type: "uint", byteLength: { field: "sequenceBytes" }, byteOrder: "little", role: "sequence" },
  ],
  body: { select: { message: "m" } },
  messages: [{ name: "m", fields: [{ name: "payload", type: "u8" }] }],
};

/** The same idea inside a message: the length field and the counter in a nested struct, and in array elements. */
const messageDefinition: ProtocolDefinition = {
  name: "zero_width_message",
  byteOrder: "little",
  body: { select: { message: "m" } },
  messages: [
    {
      name: "m",
      fields: [
        {
          name: "inner",
          type: "struct",
          fields: [
            { name: "tickBytes", type: "u8" },
            { name: "tick", type: "uint", byteLength: { field: "tickBytes" }, byteOrder: "little", role: "tick" },
          ],
        },
        {
          name: "inputs",
          type: "array",
          count: 1,
          order: "newestFirst",
          of: {
            type: "struct",
            fields: [
              { name: "inputBytes", type: "u8" },
              { name: "inputSequence", type: "uint", byteLength: { field: "inputBytes" }, byteOrder: "little", role: "inputSequence" },
            ],
          },
        },
      ],
    },
  ],
};

function both(definition: ProtocolDefinition) {
  return [compileProtocol(definition), compileProtocol(definition, { mode: "interpreted" })] as const;
}

describe("roles from zero-width integers", () => {
  it("a header sequence of 0 bytes is absent (the field stays 0), compiled and interpreted alike", () => {
    const [compiled, interpreted] = both(headerDefinition);
    expect(compiled.mode).toBe("compiled");
    const datagram = new Uint8Array([0x00, 0x2a]);
    const first = decodeAll(compiled, datagram);
    const second = decodeAll(interpreted, datagram);
    expect(first.anomalies).toEqual([]);
    expect(first.messages).toHaveLength(1);
    expect(first.messages[0].roles.sequence).toBeUndefined();
    expect(first.messages[0].roles.sequenceBits).toBeUndefined();
    expect(second.messages[0].roles).toEqual(first.messages[0].roles);
    expect(compiled.decodeDatagramFields(datagram).header).toEqual({ sequenceBytes: 0, kind: 0, sequence: 0 });
  });

  it("a header sequence of 2 bytes carries its value, compiled and interpreted alike", () => {
    const [compiled, interpreted] = both(headerDefinition);
    const datagram = new Uint8Array([0x20, 0x34, 0x12, 0x2a]);
    const first = decodeAll(compiled, datagram);
    const second = decodeAll(interpreted, datagram);
    expect(first.anomalies).toEqual([]);
    expect(first.messages[0].roles.sequence).toBe(0x1234);
    expect(first.messages[0].roles.sequenceBits).toBe(64);
    expect(second.messages[0].roles).toEqual(first.messages[0].roles);
  });

  it("message and element counters of 0 bytes are absent; of 2 bytes carry their value (compiled = interpreted)", () => {
    const [compiled, interpreted] = both(messageDefinition);
    const cases: [Uint8Array, number | undefined, number | undefined][] = [
      [new Uint8Array([0, 0]), undefined, undefined],
      [new Uint8Array([2, 0x02, 0x01, 0]), 0x0102, undefined],
      [new Uint8Array([0, 2, 0x05, 0x03]), undefined, 0x0305],
      [new Uint8Array([2, 0x00, 0x00, 2, 0x00, 0x00]), 0, 0],
    ];
    for (const [datagram, tick, inputSequence] of cases) {
      const first = decodeAll(compiled, datagram);
      const second = decodeAll(interpreted, datagram);
      expect(first.anomalies).toEqual([]);
      const roles = first.messages[0].roles;
      expect(roles.tick).toBe(tick);
      expect(roles.inputSequence).toBe(inputSequence);
      expect(roles.elements?.[0]?.inputSequence).toBe(inputSequence);
      expect(second.messages[0].roles).toEqual(roles);
    }
  });
});
