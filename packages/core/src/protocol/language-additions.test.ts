import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCode, TickscopeError } from "../errors.js";
import type { FieldRecord } from "../game-message.js";
import { RoleUnwrapper } from "../role-unwrapper.js";
import { ROLE_NAMES } from "../roles.js";
import { decodeAll, loadExample, testContext } from "../test-support/protocols.js";
import { compileProtocol, formatProtocolSummary, PROTOCOL_ROLE_NAMES, summarizeProtocol, type DecodedDatagram, type FieldDefinition, type MessageToEncode, type ProtocolDefinition } from "./index.js";

// Issue 14 §5: what the definition language could not say. Every addition is checked for
// parity (compiled = interpreted = re-encoded bytes) and against hostile definitions.

/** Parity checks run by this file (each one: compiled bytes = interpreted bytes, decodes equal, decoded fields re-encode to the same bytes). */
let parityChecks = 0;

function both(definition: ProtocolDefinition) {
  return [compileProtocol(definition), compileProtocol(definition, { mode: "interpreted" })] as const;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Encodes in both modes, decodes in both, re-encodes the decoded fields in both: all must agree. */
function parity(definition: ProtocolDefinition, messages: MessageToEncode[], header: FieldRecord = {}): { bytes: Uint8Array; decoded: DecodedDatagram } {
  const [compiled, interpreted] = both(definition);
  expect(compiled.mode).toBe("compiled");
  const bytes = compiled.encodeDatagram(messages, { header });
  expect(hex(interpreted.encodeDatagram(messages, { header }))).toBe(hex(bytes));
  const decoded = compiled.decodeDatagramFields(bytes);
  expect(interpreted.decodeDatagramFields(bytes)).toEqual(decoded);
  expect(decoded.anomalies).toEqual([]);
  const again = decoded.messages.map((message) => ({ type: message.type, fields: message.fields }));
  expect(hex(compiled.encodeDatagram(again, { header: decoded.header }))).toBe(hex(bytes));
  expect(hex(interpreted.encodeDatagram(again, { header: decoded.header }))).toBe(hex(bytes));
  parityChecks += 1;
  return { bytes, decoded };
}

/** Both modes reject the definition with E_DEFINITION_INVALID whose message contains `where` (JSON path) and `words`. */
function rejects(definition: unknown, where: string, words: string | RegExp): void {
  for (const mode of ["compiled", "interpreted"] as const) {
    let caught: unknown;
    try {
      compileProtocol(definition, { mode });
    } catch (error) {
      caught = error;
    }
    expect(TickscopeError.isInstance(caught), `${mode}: no error`).toBe(true);
    const error = caught as TickscopeError;
    expect(error.code).toBe(ErrorCode.definitionInvalid);
    expect(error.message).toContain(where);
    expect(error.message).toMatch(words);
  }
}

function framed(messages: ProtocolDefinition["messages"], extra: Partial<ProtocolDefinition> = {}): ProtocolDefinition {
  return {
    name: "additions",
    header: [{ name: "sequence", type: "u16", role: "sequence" }],
    body: {
      repeat: "untilEnd",
      frameHeader: [{ name: "type", type: "u8", role: "messageType" }],
      select: { on: "type", cases: messages.map((message, index) => ({ value: index + 1, message: message.name })) },
    },
    messages,
    ...extra,
  };
}

const INPUT_FRAME: FieldDefinition = {
  type: "struct",
  fields: [
    { name: "inputSequence", type: "u32", role: "inputSequence" },
    { name: "tick", type: "u16", role: "tick" },
    { name: "yaw", type: "u16", scale: 0.0001, role: "aimYaw" },
    { name: "buttons", type: "u8" },
  ],
};

describe("1. roles inside arrays that are not entity arrays", () => {
  const definition = framed([
    { name: "command", fields: [{ name: "inputs", type: "array", count: { prefix: "u8" }, maxCount: 16, order: "newestFirst", role: "inputCount", of: INPUT_FRAME }] },
    { name: "oldestFirst", fields: [{ name: "inputs", type: "array", count: { prefix: "u8" }, maxCount: 16, order: "oldestFirst", of: INPUT_FRAME }] },
    {
      name: "withOwnTick",
      fields: [
        { name: "serverTick", type: "u32", role: "tick" },
        { name: "inputs", type: "array", count: { prefix: "u8" }, maxCount: 16, order: "newestFirst", of: INPUT_FRAME },
      ],
    },
  ]);
  const frame = (sequence: number) => ({ inputSequence: sequence, tick: 1000 + sequence, yaw: sequence / 10, buttons: sequence & 0xff });

  it("exposes each element's roles newest first and gives the message its newest input's inputSequence/tick (parity)", () => {
    const newestFirst = [frame(12), frame(11), frame(10)];
    const { decoded } = parity(
      definition,
      [
        { type: "command", fields: { inputs: newestFirst } },
        { type: "oldestFirst", fields: { inputs: [...newestFirst].reverse() } },
        { type: "withOwnTick", fields: { serverTick: 77, inputs: newestFirst } },
      ],
      { sequence: 5 },
    );
    const [command, oldest, own] = decoded.messages;
    expect(command.roles.elements?.map((element) => element.inputSequence)).toEqual([12, 11, 10]);
    expect(command.roles.elements?.map((element) => element.tick)).toEqual([1012, 1011, 1010]);
    expect(command.roles.elements?.[0]).toMatchObject({ inputSequenceBits: 32, tickBits: 16 });
    expect(command.roles.elements?.[1].aimYawRad).toBeCloseTo(1.1, 10);
    expect(command.roles).toMatchObject({ sequence: 5, inputSequence: 12, tick: 1012, inputCount: 3 });
    // Wire order oldest first: roles.elements is still newest first, and the newest is the last element.
    expect(oldest.fields.inputs).toEqual([frame(10), frame(11), frame(12)].map((item) => ({ ...item, yaw: expect.closeTo(item.yaw, 4) })));
    expect(oldest.roles.elements?.map((element) => element.inputSequence)).toEqual([12, 11, 10]);
    expect(oldest.roles).toMatchObject({ inputSequence: 12, tick: 1012 });
    // The message's own field wins; the newest element fills only what is left.
    expect(own.roles).toMatchObject({ tick: 77, inputSequence: 12 });
    expect(own.roles.elements?.[0].tick).toBe(1012);
  });

  it("an empty array gives no elements' values, and the summary lists the element roles", () => {
    const { decoded } = parity(definition, [{ type: "command", fields: { inputs: [] } }], { sequence: 1 });
    expect(decoded.messages[0].roles.elements).toEqual([]);
    expect(decoded.messages[0].roles.inputSequence).toBeUndefined();
    const summary = summarizeProtocol(definition);
    expect(summary.messages[0].roles).toEqual(expect.arrayContaining([{ role: "elements[].inputSequence", field: "command.inputs[].inputSequence" }, { role: "elements[].aimYaw", field: "command.inputs[].yaw" }]));
  });

  it("random redundant input arrays: newest first in both wire orders, compiled = interpreted (property)", () => {
    const [compiled, interpreted] = both(definition);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 20 }), fc.integer({ min: 0, max: 16 }), fc.boolean(), (start, count, oldestFirstOnWire) => {
        const newestFirst = Array.from({ length: count }, (_, index) => ({ ...frame(0), inputSequence: start + count - index, tick: (start + count - index) & 0xffff }));
        const type = oldestFirstOnWire ? "oldestFirst" : "command";
        const inputs = oldestFirstOnWire ? [...newestFirst].reverse() : newestFirst;
        const bytes = compiled.encodeDatagram([{ type, fields: { inputs } }], { header: { sequence: 1 } });
        expect(hex(interpreted.encodeDatagram([{ type, fields: { inputs } }], { header: { sequence: 1 } }))).toBe(hex(bytes));
        const first = decodeAll(compiled, bytes);
        const second = decodeAll(interpreted, bytes);
        expect(second).toEqual(first);
        expect(first.messages[0].roles.elements?.map((element) => element.inputSequence)).toEqual(newestFirst.map((item) => item.inputSequence));
        expect(first.messages[0].roles.inputSequence).toBe(newestFirst[0]?.inputSequence);
      }),
      { numRuns: 60 },
    );
    parityChecks += 1;
  });

  it("hostile definitions: missing order, order where it means nothing, two role arrays, a role on an anonymous element", () => {
    const array = (extra: Partial<FieldDefinition>): FieldDefinition => ({ name: "inputs", type: "array", count: { prefix: "u8" }, maxCount: 4, of: INPUT_FRAME, ...extra });
    rejects(framed([{ name: "m", fields: [array({})] }]), "/messages/0/fields/0/order", /elements carry roles \(inputSequence, tick, aimYaw\).*newestFirst/);
    rejects(framed([{ name: "m", fields: [{ name: "a", type: "u8", order: "newestFirst" }] }]), "/messages/0/fields/0/order", /applies to arrays/);
    rejects(
      framed([{ name: "m", fields: [array({ order: "newestFirst", of: { type: "struct", fields: [{ name: "b", type: "u8" }] } })] }]),
      "/messages/0/fields/0/order",
      /carry roles/,
    );
    rejects(
      framed([{ name: "m", fields: [array({ order: "newestFirst" }), array({ name: "more", order: "oldestFirst" })] }]),
      "/messages/0/fields",
      /inputs and more both have elements with roles/,
    );
    rejects(framed([{ name: "m", fields: [array({ of: { type: "u32", role: "inputSequence" } })] }]), "/messages/0/fields/0/of/role", /named fields of a struct/);
    rejects(framed([{ name: "m", fields: [array({ order: "newest" as never })] }]), "/messages/0/fields/0/order", /newestFirst/);
  });

  it("entity arrays keep roles.entities and need no order", () => {
    const entities = framed([
      { name: "snapshot", fields: [{ name: "entities", type: "array", count: { prefix: "u8" }, of: { type: "struct", fields: [{ name: "id", type: "u16", role: "entityId" }, { name: "x", type: "f32", role: "position.x" }] } }] },
    ]);
    const { decoded } = parity(entities, [{ type: "snapshot", fields: { entities: [{ id: 4, x: 1.5 }] } }], { sequence: 2 });
    expect(decoded.messages[0].roles.entities).toEqual([{ entityId: 4, position: { x: 1.5, y: 0, z: 0 } }]);
    expect(decoded.messages[0].roles.elements).toBeUndefined();
  });
});

describe("2. a header count drives the number of messages", () => {
  const definition: ProtocolDefinition = {
    name: "counted",
    header: [
      { name: "sequence", type: "u16", role: "sequence" },
      { name: "messageCount", type: "u8" },
    ],
    body: {
      count: { field: "messageCount" },
      maxMessages: 8,
      frameHeader: [
        { name: "type", type: "u8", role: "messageType" },
        { name: "length", type: "u8" },
      ],
      length: { field: "length" },
      select: { on: "type", cases: [{ value: 1, message: "a" }, { value: 2, message: "b" }] },
    },
    messages: [
      { name: "a", fields: [{ name: "value", type: "u16" }] },
      { name: "b", fields: [{ name: "text", type: "string", length: "rest" }] },
    ],
  };
  const three: MessageToEncode[] = [
    { type: "a", fields: { value: 7 } },
    { type: "b", fields: { text: "hi" } },
    { type: "a", fields: { value: 9 } },
  ];

  it("protocol check names the count field", () => {
    expect(formatProtocolSummary(summarizeProtocol(definition))).toContain("messages per datagram: counted by header.messageCount (E_COUNT_MISMATCH when the wire disagrees)");
    expect(formatProtocolSummary(summarizeProtocol(framed([{ name: "m", fields: [] }])))).not.toContain("messages per datagram");
  });

  it("the encoder writes the count; the decoder reads exactly that many messages (parity)", () => {
    const { bytes, decoded } = parity(definition, three, { sequence: 3, messageCount: 99 });
    expect(bytes[2]).toBe(3);
    expect(decoded.header.messageCount).toBe(3);
    expect(decoded.messages.map((message) => message.type)).toEqual(["a", "b", "a"]);
    const empty = parity(definition, [], { sequence: 4 });
    expect(hex(empty.bytes)).toBe("000400");
    expect(empty.decoded.messages).toEqual([]);
  });

  it("a count below or above the messages on the wire is an E_COUNT_MISMATCH anomaly, never silently accepted", () => {
    const [compiled, interpreted] = both(definition);
    const bytes = compiled.encodeDatagram(three, { header: { sequence: 3 } });
    for (const protocol of [compiled, interpreted]) {
      const fewer = bytes.slice();
      fewer[2] = 2;
      const low = decodeAll(protocol, fewer);
      expect(low.messages.map((message) => message.type)).toEqual(["a", "b"]);
      expect(low.anomalies).toHaveLength(1);
      expect(low.anomalies[0]).toMatchObject({ code: "E_COUNT_MISMATCH", fieldPath: "messageCount", offset: 11 });
      expect(low.anomalies[0].detail).toContain("says 2 messages, but 4 bytes follow message 2");
      const more = bytes.slice();
      more[2] = 5;
      const high = decodeAll(protocol, more);
      expect(high.messages).toHaveLength(3);
      expect(high.anomalies.map((anomaly) => [anomaly.code, anomaly.detail])).toEqual([["E_COUNT_MISMATCH", "messageCount says 5 messages, but the datagram ends after 3"]]);
      // Above maxMessages with the frames there: the existing limit answers first.
      const huge = compiled.encodeDatagram(Array.from({ length: 8 }, () => three[0]), { header: { sequence: 3 } });
      const over = huge.slice();
      over[2] = 255;
      const capped = decodeAll(protocol, over);
      expect(capped.messages).toHaveLength(8);
      expect(capped.anomalies.map((anomaly) => anomaly.code)).toEqual(["E_COUNT_MISMATCH"]);
      const nine = new Uint8Array([...huge.subarray(0, 3), ...huge.subarray(3), 1, 2, 0, 1]);
      nine[2] = 9;
      expect(decodeAll(protocol, nine).anomalies.map((anomaly) => anomaly.code)).toEqual(["E_LENGTH_EXCEEDED"]);
    }
  });

  it("random bytes never throw or hang, and both modes report the same (property)", () => {
    const [compiled, interpreted] = both(definition);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (payload) => {
        const first = decodeAll(compiled, payload);
        expect(decodeAll(interpreted, payload)).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });

  it("a 64-bit count is read exactly, and a u64 count of 2^63 stops at the datagram end", () => {
    const wide: ProtocolDefinition = { ...definition, header: [{ name: "messageCount", type: "u64" }] };
    const [compiled, interpreted] = both(wide);
    const bytes = compiled.encodeDatagram(three);
    expect(interpreted.decodeDatagramFields(bytes)).toEqual(compiled.decodeDatagramFields(bytes));
    expect(compiled.decodeDatagramFields(bytes).messages).toHaveLength(3);
    const big = bytes.slice();
    big[0] = 0x80;
    for (const protocol of [compiled, interpreted]) expect(decodeAll(protocol, big).anomalies.map((anomaly) => anomaly.code)).toEqual(["E_COUNT_MISMATCH"]);
  });

  it("hostile definitions: a count that is not an unconditional integer header field, or a body that repeats once", () => {
    const body = definition.body;
    rejects({ ...definition, body: { ...body, count: { field: "type" } } }, "/body/count/field", /not a datagram header field/);
    rejects({ ...definition, body: { ...body, count: { field: "nope" } } }, "/body/count/field", /not a datagram header field/);
    rejects(
      { ...definition, header: [{ name: "flag", type: "u8" }, { name: "messageCount", type: "u8", when: { field: "flag" } }] },
      "/body/count/field",
      /unconditional integer header field/,
    );
    rejects({ ...definition, header: [{ name: "messageCount", type: "string", length: 2 }] }, "/body/count/field", /unconditional integer/);
    rejects({ ...definition, body: { ...body, repeat: "once" } }, "/body/repeat", /leave repeat out/);
    rejects({ ...definition, body: { ...body, count: { field: "messageCount", extra: 1 } as never } }, "/body/count", /extra/i);
  });
});

describe("3. echoTime and echoId on one pong", () => {
  const pong = (order: "idFirst" | "timeFirst"): ProtocolDefinition["messages"][number] => {
    const id: FieldDefinition = { name: "pingId", type: "u32", role: "echoId", echoPhase: "reply" };
    const time: FieldDefinition = { name: "echoedMs", type: "u32", role: "echoTime", unit: "ms", echoPhase: "reply" };
    return { name: order, fields: order === "idFirst" ? [id, time] : [time, id] };
  };
  const definition = framed([
    { name: "ping", fields: [{ name: "pingId", type: "u32", role: "echoId", echoPhase: "request" }, { name: "clientMs", type: "u32", role: "echoTime", unit: "ms", echoPhase: "request" }] },
    pong("idFirst"),
    pong("timeFirst"),
    { name: "timeOnly", fields: [{ name: "echoedMs", type: "u32", role: "echoTime", unit: "ms", echoPhase: "reply" }] },
  ]);

  it("keeps both: echoId and echoTimeUs, the id as the matching key whatever the field order (parity)", () => {
    const { decoded } = parity(
      definition,
      [
        { type: "ping", fields: { pingId: 41, clientMs: 4_294_967_000 } },
        { type: "idFirst", fields: { pingId: 41, echoedMs: 4_294_967_000 } },
        { type: "timeFirst", fields: { pingId: 41, echoedMs: 4_294_967_000 } },
        { type: "timeOnly", fields: { echoedMs: 12 } },
      ],
      { sequence: 1 },
    );
    const [ping, first, second, timeOnly] = decoded.messages.map((message) => message.roles);
    expect(ping).toMatchObject({ echoKey: "41", echoId: "41", echoTimeUs: 4_294_967_000_000, echoPhase: "request" });
    for (const roles of [first, second]) expect(roles).toMatchObject({ echoKey: "41", echoId: "41", echoTimeUs: 4_294_967_000_000, echoPhase: "reply" });
    expect(timeOnly).toMatchObject({ echoKey: "12", echoTimeUs: 12_000, echoPhase: "reply" });
    expect(timeOnly.echoId).toBeUndefined();
  });
});

describe("4. quantized and scaled integers honour little-endian byte order", () => {
  it("a little-endian u16-wide quantized 256 decodes as 256 (was 1: read MSB first)", () => {
    const definition: ProtocolDefinition = {
      name: "le",
      body: { select: { message: "m" } },
      messages: [
        {
          name: "m",
          fields: [
            { name: "yaw", type: "quantized", min: 0, max: 65535, bits: 16, byteOrder: "little" },
            { name: "raw", type: "u16", byteOrder: "little", scale: 1 },
          ],
        },
      ],
    };
    for (const protocol of both(definition)) {
      const decoded = protocol.decodeDatagramFields(new Uint8Array([0x00, 0x01, 0x00, 0x01]));
      expect(decoded.anomalies).toEqual([]);
      expect(decoded.messages[0].fields).toEqual({ yaw: 256, raw: 256 });
    }
    const { bytes } = parity(definition, [{ type: "m", fields: { yaw: 258, raw: 513 } }]);
    expect(hex(bytes)).toBe("02010102");
  });

  it("a little-endian definition reads whole-byte quantized values little-endian and packs bit fields MSB first (parity)", () => {
    const definition: ProtocolDefinition = {
      name: "leDefault",
      byteOrder: "little",
      body: { select: { message: "m" } },
      messages: [
        {
          name: "m",
          fields: [
            { name: "flags", type: "uint", bits: 4 },
            { name: "small", type: "quantized", min: 0, max: 15, bits: 4 },
            { name: "yaw", type: "quantized", min: 0, max: 6.283185307179586, bits: 16, role: "aimYaw" },
            { name: "wide", type: "quantized", min: -1, max: 1, bits: 24 },
            { name: "big", type: "quantized", min: 0, max: 65535, bits: 16, byteOrder: "big" },
          ],
        },
      ],
    };
    const { bytes, decoded } = parity(definition, [{ type: "m", fields: { flags: 0xa, small: 5, yaw: (2 * Math.PI * 0x1234) / 65535, wide: 1, big: 0x0102 } }]);
    expect(hex(bytes)).toBe("a53412ffffff0102");
    expect(decoded.messages[0].roles.aimYawRad).toBeCloseTo((2 * Math.PI * 0x1234) / 65535, 12);
    rejects({ ...definition, messages: [{ name: "m", fields: [{ name: "q", type: "quantized", min: 0, max: 1, bits: 12, byteOrder: "little" }] }] }, "/messages/0/fields/0/byteOrder", /whole number of bytes/);
  });
});

describe("5. linear scale/offset for integer fields", () => {
  it("value = raw × scale + offset in both byte orders and signs; re-encoding gives the same bytes (property, parity)", () => {
    const scale = fc.oneof(
      fc.constantFrom(0.01, 0.001, 1 / 3, -0.5, 4, 360 / 65536, Math.PI / 32768),
      fc.double({ min: 1e-6, max: 1e3, noNaN: true }),
      fc.double({ min: -1e3, max: -1e-6, noNaN: true }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 48 }),
        fc.boolean(),
        fc.boolean(),
        scale,
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        (bitsWanted, signed, little, factor, offset, where) => {
          const bits = little ? Math.max(8, bitsWanted - (bitsWanted % 8)) : bitsWanted;
          const field: FieldDefinition = { name: "v", type: signed ? "int" : "uint", bits, byteOrder: little ? "little" : "big", scale: factor, offset };
          const plain: FieldDefinition = { name: "v", type: signed ? "int" : "uint", bits, byteOrder: little ? "little" : "big" };
          const definition: ProtocolDefinition = { name: "s", body: { select: { message: "m" } }, messages: [{ name: "m", fields: [field, { name: "tail", type: "uint", bits: 3 }] }] };
          const low = signed ? -(2 ** (bits - 1)) : 0;
          const raw = low + Math.floor(where * 2 ** bits);
          const bytes = compileProtocol({ ...definition, messages: [{ name: "m", fields: [plain, { name: "tail", type: "uint", bits: 3 }] }] }).encodeMessage("m", { v: raw, tail: 5 });
          const [compiled, interpreted] = both(definition);
          const decoded = compiled.decodeDatagramFields(bytes);
          expect(interpreted.decodeDatagramFields(bytes)).toEqual(decoded);
          expect(decoded.anomalies).toEqual([]);
          expect(decoded.messages[0].fields.v).toBe(raw * factor + offset);
          expect(hex(compiled.encodeMessage("m", decoded.messages[0].fields))).toBe(hex(bytes));
          expect(hex(interpreted.encodeMessage("m", decoded.messages[0].fields))).toBe(hex(bytes));
        },
      ),
      { numRuns: 400 },
    );
    parityChecks += 1;
  });

  it("rounds values between steps to the nearest raw step, scales time roles and their wrap (parity)", () => {
    const definition: ProtocolDefinition = {
      name: "scaledTime",
      header: [{ name: "sentQuarterMs", type: "u16", scale: 0.25, unit: "ms", role: "sendTime" }],
      body: { select: { message: "m" } },
      messages: [
        {
          name: "m",
          fields: [
            { name: "heightCm", type: "i16", scale: 0.01, offset: -100, role: "position.z", min: -200, max: 200 },
            { name: "pitch", type: "i16", scale: Math.PI / 32768, role: "aimPitch" },
          ],
        },
      ],
    };
    const { bytes, decoded } = parity(definition, [{ type: "m", fields: { heightCm: 1.234, pitch: -Math.PI / 4 } }], { sentQuarterMs: 16383.75 });
    // (1.234 + 100) / 0.01 = 10123.4 -> raw 10123 = 0x278b; -π/4 / (π/32768) = -8192 = 0xe000.
    expect(hex(bytes)).toBe("ffff" + "278b" + "e000");
    expect(decoded.messages[0].fields.heightCm).toBeCloseTo(1.23, 10);
    expect(decoded.messages[0].roles).toMatchObject({ sendTimeUs: 16_383_750, sendTimeModulusUs: 16_384_000 });
    expect(decoded.messages[0].roles.position?.z).toBeCloseTo(1.23, 10);
    expect(decoded.messages[0].roles.aimPitchRad).toBeCloseTo(-Math.PI / 4, 12);
    // Limits apply to the scaled value.
    const [compiled] = both(definition);
    const out = compiled.decodeDatagramFields(compiled.encodeDatagram([{ type: "m", fields: { heightCm: 200.5, pitch: 0 } }], { header: { sentQuarterMs: 0 } }));
    expect(out.anomalies.map((anomaly) => [anomaly.code, anomaly.fieldPath])).toEqual([["E_VALUE_OUT_OF_RANGE", "m.heightCm"]]);
  });

  it("values that do not fit or are not numbers are E_ENCODE_FAILED naming the field", () => {
    const definition: ProtocolDefinition = { name: "s", body: { select: { message: "m" } }, messages: [{ name: "m", fields: [{ name: "v", type: "u8", scale: 0.5 }] }] };
    for (const protocol of both(definition)) {
      for (const value of [128, -1, Number.NaN, "1" as unknown as number, Number.POSITIVE_INFINITY]) {
        let caught: unknown;
        try {
          protocol.encodeMessage("m", { v: value });
        } catch (error) {
          caught = error;
        }
        expect(caught).toMatchObject({ code: "E_ENCODE_FAILED", fieldPath: "m.v" });
      }
      expect(hex(protocol.encodeMessage("m", { v: 127.5 }))).toBe("ff");
    }
  });

  it("hostile definitions: scale 0, scale on non-integers or wide integers, offsets that break exactness, counters scaled", () => {
    const one = (field: FieldDefinition): ProtocolDefinition => ({ name: "s", body: { select: { message: "m" } }, messages: [{ name: "m", fields: [field] }] });
    rejects(one({ name: "v", type: "u16", scale: 0 }), "/messages/0/fields/0/scale", /other than 0/);
    rejects(one({ name: "v", type: "u16", scale: Number.NaN }), "/messages/0/fields/0/scale", /finite|Expected number/);
    rejects(one({ name: "v", type: "u16", offset: Number.POSITIVE_INFINITY }), "/messages/0/fields/0/offset", /finite|Expected number/);
    rejects(one({ name: "v", type: "f32", scale: 2 }), "/messages/0/fields/0/scale", /integers of at most 48 bits, not f32/);
    rejects(one({ name: "v", type: "quantized", min: 0, max: 1, bits: 8, offset: 2 }), "/messages/0/fields/0/offset", /not quantized/);
    rejects(one({ name: "v", type: "varint", scale: 2 }), "/messages/0/fields/0/scale", /not varint/);
    rejects(one({ name: "v", type: "u64", scale: 2 }), "/messages/0/fields/0/scale", /at most 48 bits, not 64/);
    rejects(one({ name: "v", type: "u32", scale: 1e-9, offset: 1e12 }), "/messages/0/fields/0/offset", /round-trip exactly/);
    rejects(one({ name: "v", type: "u16", scale: 2, role: "sequence" }), "/messages/0/fields/0/role", /counter/);
    rejects(one({ name: "v", type: "u16", offset: 1, role: "tick" }), "/messages/0/fields/0/role", /counter/);
    rejects(one({ name: "v", type: "u16", scale: "2" as unknown as number }), "/messages/0/fields/0/scale", /number/i);
    // A match condition on a scaled field would compare the raw value with a decoded one: refused.
    const matched = one({ name: "v", type: "u16", scale: 2 });
    rejects({ ...matched, match: { datagram: [{ field: "v", equals: 4 }] } }, "/match/datagram/0/field", /scaled integers/);
  });
});

describe("6. aim direction roles", () => {
  it("aimYaw and aimPitch are catalogued roles and reach roles.aimYawRad / aimPitchRad (parity)", () => {
    expect(ROLE_NAMES).toEqual(expect.arrayContaining(["aimYaw", "aimPitch", "reliableId"]));
    expect(PROTOCOL_ROLE_NAMES).toEqual(expect.arrayContaining(["aimYaw", "aimPitch", "reliableId"]));
    const definition = framed([
      {
        name: "shot",
        fields: [
          { name: "targetMs", type: "u32", unit: "ms", role: "targetTime" },
          { name: "yawDeg", type: "u16", scale: Math.PI / 180 / 100, role: "aimYaw" },
          { name: "pitch", type: "f32", role: "aimPitch" },
        ],
      },
    ]);
    const { decoded } = parity(definition, [{ type: "shot", fields: { targetMs: 5, yawDeg: Math.PI / 2, pitch: -0.25 } }], { sequence: 9 });
    expect(decoded.messages[0].roles.aimYawRad).toBeCloseTo(Math.PI / 2, 12);
    expect(decoded.messages[0].roles.aimPitchRad).toBe(-0.25);
    expect(decoded.messages[0].roles.rotation).toBeUndefined();
    rejects(framed([{ name: "m", fields: [{ name: "a", type: "string", length: 2, role: "aimYaw" }] }]), "/messages/0/fields/0/role", /numeric field/);
  });
});

describe("7. reliable event id and resend count on the wire", () => {
  const definition = framed([
    {
      name: "event",
      reliable: true,
      fields: [
        { name: "eventId", type: "u16", role: "reliableId" },
        { name: "resendCount", type: "u8", role: "resendCount" },
        { name: "payload", type: "u8" },
      ],
    },
  ]);

  it("a resend (same id, higher resendCount) and a replay (same id and resendCount again) are told apart (parity)", () => {
    const first = parity(definition, [{ type: "event", fields: { eventId: 65535, resendCount: 0, payload: 1 } }], { sequence: 1 });
    const resend = parity(definition, [{ type: "event", fields: { eventId: 65535, resendCount: 1, payload: 1 } }], { sequence: 2 });
    const replay = parity(definition, [{ type: "event", fields: { eventId: 65535, resendCount: 0, payload: 1 } }], { sequence: 3 });
    const roles = [first, resend, replay].map((run) => run.decoded.messages[0].roles);
    expect(roles[0]).toMatchObject({ reliableId: 65535, reliableIdBits: 16, resendCount: 0, reliable: true });
    expect(roles[1]).toMatchObject({ reliableId: 65535, resendCount: 1 });
    // A replay repeats a transmission already seen: same id and the same resend count.
    expect([roles[2].reliableId, roles[2].resendCount]).toEqual([roles[0].reliableId, roles[0].resendCount]);
    expect([roles[1].reliableId, roles[1].resendCount]).not.toEqual([roles[0].reliableId, roles[0].resendCount]);
  });

  it("a 64-bit reliable id stays exact (bigint beyond 2^53) and a non-integer one is refused", () => {
    const wide = framed([{ name: "event", fields: [{ name: "eventId", type: "u64", role: "reliableId" }] }]);
    const { decoded } = parity(wide, [{ type: "event", fields: { eventId: 2n ** 63n + 1n } }], { sequence: 1 });
    expect(decoded.messages[0].roles).toMatchObject({ reliableId: 2n ** 63n + 1n, reliableIdBits: 64 });
    rejects(framed([{ name: "m", fields: [{ name: "id", type: "f32", role: "reliableId" }] }]), "/messages/0/fields/0/role", /plain integer field/);
    rejects(framed([{ name: "m", fields: [{ name: "id", type: "u16", scale: 2, role: "reliableId" }] }]), "/messages/0/fields/0/role", /counter/);
  });
});

describe("8. a definition never has to misstate a field: a wrapping u32 clock is a u32", () => {
  const definition: ProtocolDefinition = {
    name: "u32Clock",
    byteOrder: "little",
    header: [
      { name: "sequence", type: "u16", role: "sequence" },
      { name: "clockMs", type: "u32", unit: "ms", role: "sendTime" },
    ],
    body: { select: { message: "m" } },
    messages: [{ name: "m", fields: [{ name: "targetMs", type: "u32", unit: "ms", role: "targetTime" }] }],
  };

  it("decodes values above 2^31 as positive, records the 2^32 ms wrap, and unwraps across it (parity)", () => {
    const before = parity(definition, [{ type: "m", fields: { targetMs: 4_294_967_200 } }], { sequence: 1, clockMs: 4_294_967_290 });
    const after = parity(definition, [{ type: "m", fields: { targetMs: 4_294_967_250 } }], { sequence: 2, clockMs: 10 });
    expect(hex(before.bytes)).toBe("0100" + "faffffff" + "a0ffffff");
    const first = before.decoded.messages[0].roles;
    expect(first).toMatchObject({ sendTimeUs: 4_294_967_290_000, sendTimeModulusUs: 4_294_967_296_000, targetTimeUs: 4_294_967_200_000, targetTimeModulusUs: 4_294_967_296_000 });
    const unwrapper = new RoleUnwrapper();
    const messages = [
      { ...testContext({ tUs: 1_000_000 }), roles: { ...first } },
      { ...testContext({ tUs: 1_016_000 }), roles: { ...after.decoded.messages[0].roles } },
    ];
    for (const message of messages) unwrapper.apply(message);
    // 16 ms later on the wire: the clock went 4,294,967,290 -> 10 (+16 ms across the wrap), never backwards.
    expect(messages[1].roles.sendTimeUs! - messages[0].roles.sendTimeUs!).toBe(16_000);
    expect(messages[1].roles.targetTimeUs! - messages[0].roles.targetTimeUs!).toBe(50_000);
  });
});

describe("the shipped shape using the additions (examples/protocols/redundant-inputs.json)", () => {
  it("round-trips a client and a server datagram with every message type (parity) and exposes the new roles", () => {
    const definition = loadExample("redundant-inputs");
    const header = { sequence: 65535, ack: 3, ackBits: 0xffffffff, sendTimeMs: 4_294_967_295, messageCount: 0 };
    const inputs = [0, 1, 2].map((back) => ({ inputSequence: 900 - back, moveX: 0, moveY: 1, aimYaw: (2 * Math.PI * (100 + back)) / 65536, aimPitch: 0, buttons: back }));
    const client = parity(
      definition,
      [
        { type: "command", fields: { reportedRttMs: 45, inputs, hasShot: 1, shotId: 7, weapon: 2, targetTimeMs: 12, x: 1.5, y: -2048, z: 0.001, aimYaw: Math.PI, aimPitch: -0.5 } },
        { type: "command", fields: { reportedRttMs: 45, inputs, hasShot: 0 } },
        { type: "ping", fields: { pingId: 4, senderTimeMs: 4_294_967_295 } },
        { type: "chat", fields: { eventId: 9, resendCount: 2, playerId: 1, text: "gg" } },
      ],
      header,
    );
    expect(client.bytes.subarray(0, 2)).toEqual(new Uint8Array([0x49, 0x52]));
    expect(client.decoded.header.messageCount).toBe(4);
    const [shot, command, ping, chat] = client.decoded.messages.map((message) => message.roles);
    expect(shot).toMatchObject({ inputSequence: 900, inputCount: 3, aimYawRad: expect.closeTo(Math.PI, 12), aimPitchRad: expect.closeTo(-0.5, 4), targetTimeUs: 12_000 });
    expect(shot.position?.x).toBeCloseTo(1.5, 12);
    expect(command.aimYawRad).toBeCloseTo((2 * Math.PI * 100) / 65536, 12);
    expect(command.elements?.map((element) => element.inputSequence)).toEqual([900, 899, 898]);
    expect(ping).toMatchObject({ echoId: "4", echoTimeUs: 4_294_967_295_000, echoPhase: "request" });
    expect(chat).toMatchObject({ reliableId: 9, resendCount: 2, reliable: true });
    const entity = { entityId: 3, x: -1.25, y: 2047.999, z: 0, yaw: 1, velocityX: -64, velocityY: 0.01, velocityZ: 63.99, health: 100 };
    const server = parity(
      definition,
      [
        { type: "snapshot", fields: { tick: 4_000_000_000, lastProcessedInputSequence: 900, entities: [entity, { ...entity, entityId: 4 }] } },
        { type: "pong", fields: { pingId: 4, echoedTimeMs: 4_294_967_295, processingUs: 120 } },
        { type: "spawn", fields: { eventId: 65535, resendCount: 0, tick: 5, entityId: 3, playerId: 3, x: 0, y: 0, z: 0 } },
        { type: "death", fields: { eventId: 1, resendCount: 1, tick: 6, victimPlayerId: 3, killerPlayerId: 4, weapon: 1 } },
        { type: "stateReset", fields: { eventId: 2, resendCount: 0, tick: 7, reason: 1 } },
      ],
      header,
    );
    expect(server.decoded.messages[0].roles.entities?.[0].position?.y).toBeCloseTo(2047.999, 9);
    expect(server.decoded.messages[1].roles).toMatchObject({ echoId: "4", echoKey: "4", echoTimeUs: 4_294_967_295_000, echoPhase: "reply" });
  });
});

describe("parity checks", () => {
  it("ran every parity check of this file", () => {
    expect(parityChecks).toBe(20);
  });
});
