import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FieldRecord } from "../game-message.js";
import { decodeAll, testContext } from "../test-support/protocols.js";
import { BitReader, BitWriter, compileProtocol, registerProtocolPlugin, unregisterProtocolPlugin, type FieldDefinition, type ProtocolDefinition } from "./index.js";

/** A protocol with one message `m` made of `fields`, framed once per datagram. */
function single(fields: FieldDefinition[], extra: Partial<ProtocolDefinition> = {}): ProtocolDefinition {
  return { name: "t", body: { select: { message: "m" } }, messages: [{ name: "m", fields }], ...extra };
}

function both(definition: ProtocolDefinition) {
  return [compileProtocol(definition), compileProtocol(definition, { mode: "interpreted" })] as const;
}

function roundTrip(definition: ProtocolDefinition, fields: FieldRecord): { bytes: Uint8Array; decoded: FieldRecord } {
  const [compiled, interpreted] = both(definition);
  const bytes = compiled.encodeMessage("m", fields);
  expect(Buffer.from(interpreted.encodeMessage("m", fields)).toString("hex")).toBe(Buffer.from(bytes).toString("hex"));
  const first = compiled.decodeDatagramFields(bytes);
  const second = interpreted.decodeDatagramFields(bytes);
  expect(second).toEqual(first);
  expect(first.anomalies).toEqual([]);
  return { bytes, decoded: first.messages[0].fields };
}

describe("integers", () => {
  it("reads every width 1..64 in both byte orders, signed and unsigned (property, compiled = interpreter)", () => {
    const widths = Array.from({ length: 64 }, (_, index) => index + 1);
    const fields: FieldDefinition[] = [];
    for (const bits of widths) {
      fields.push({ name: `u${bits}`, type: "uint", bits });
      fields.push({ name: `s${bits}`, type: "int", bits });
      if (bits % 8 === 0) fields.push({ name: `l${bits}`, type: "uint", bits, byteOrder: "little" }, { name: `m${bits}`, type: "int", bits, byteOrder: "little" });
    }
    const definition = single(fields);
    const valueFor = (bits: number, signed: boolean) => {
      if (bits > 53) return signed ? fc.bigInt({ min: -(1n << BigInt(bits - 1)), max: (1n << BigInt(bits - 1)) - 1n }) : fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
      return signed ? fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 }) : fc.integer({ min: 0, max: 2 ** bits - 1 });
    };
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    for (const field of fields) record[field.name!] = valueFor(field.bits!, field.type === "int");
    fc.assert(
      fc.property(fc.record(record), (values) => {
        const { decoded } = roundTrip(definition, values as FieldRecord);
        expect(decoded).toEqual(values);
      }),
      { numRuns: 60 },
    );
  });

  it("packs bit fields MSB first across byte boundaries and matches hand-made bytes", () => {
    const definition = single([
      { name: "a", type: "uint", bits: 3 },
      { name: "b", type: "uint", bits: 7 },
      { name: "c", type: "int", bits: 6 },
      { name: "d", type: "u16", byteOrder: "little" },
      { name: "e", type: "i24" },
    ]);
    const { bytes } = roundTrip(definition, { a: 5, b: 0x55, c: -2, d: 0x1234, e: -1 });
    // 101 1010101 111110 -> 1011 0101 0111 1110 = b5 7e ; then 34 12 ; ff ff ff
    expect(Buffer.from(bytes).toString("hex")).toBe("b57e3412ffffff");
  });

  it("varints (LEB128, zigzag, up to 64 bits), floats, bools, quantized", () => {
    const definition = single([
      { name: "v", type: "varint" },
      { name: "z", type: "varint", zigzag: true },
      { name: "big", type: "varint" },
      { name: "f", type: "f32" },
      { name: "g", type: "f64", byteOrder: "little" },
      { name: "h", type: "f32", byteOrder: "little" },
      { name: "flag", type: "bool", bits: 1 },
      { name: "q", type: "quantized", min: -1, max: 1, bits: 10 },
    ]);
    const { bytes, decoded } = roundTrip(definition, { v: 300, z: -3, big: 2n ** 63n + 5n, f: 1.5, g: -0.1, h: 3.25, flag: true, q: 0.5 });
    expect(bytes.subarray(0, 3)).toEqual(new Uint8Array([0xac, 0x02, 0x05]));
    expect(decoded).toMatchObject({ v: 300, z: -3, big: 2n ** 63n + 5n, f: 1.5, g: -0.1, h: 3.25, flag: true });
    expect(decoded.q).toBeCloseTo(0.5, 2);
    fc.assert(
      fc.property(fc.double({ min: -1, max: 1, noNaN: true }), fc.integer(), (q, z) => {
        const again = roundTrip(definition, { v: Math.abs(z), z, big: 1, f: 0, g: q, h: 0, flag: false, q }).decoded;
        expect(Math.abs((again.q as number) - q)).toBeLessThanOrEqual(1 / 1023 + 1e-12);
        expect(again.z).toBe(z);
        // re-encoding the decoded value is lossless
        expect(roundTrip(definition, again).decoded).toEqual(again);
      }),
      { numRuns: 50 },
    );
  });

  it("reads an integer whose byte count is another field (netcode sequence)", () => {
    const definition = single([
      { name: "n", type: "uint", bits: 8 },
      { name: "value", type: "uint", byteLength: { field: "n" }, byteOrder: "little" },
      { name: "signed", type: "int", byteLength: { field: "n" } },
    ]);
    expect(roundTrip(definition, { n: 3, value: 0x010203, signed: -5 }).bytes).toEqual(new Uint8Array([3, 3, 2, 1, 0xff, 0xff, 0xfb]));
    expect(roundTrip(definition, { n: 8, value: 2n ** 60n, signed: -1n }).decoded).toEqual({ n: 8, value: 2n ** 60n, signed: -1n });
    expect(roundTrip(definition, { n: 0, value: 0, signed: 0 }).decoded).toEqual({ n: 0, value: 0, signed: 0 });
    const [compiled] = both(definition);
    expect(decodeAll(compiled, new Uint8Array([9, 1, 2, 3, 4, 5, 6, 7, 8, 9])).anomalies[0].code).toBe("E_DECODE_FAILED");
  });
});

describe("bytes, strings, structs, arrays, switch, optional", () => {
  const definition = single([
    { name: "flags", type: "u8" },
    { name: "tag", type: "string", encoding: "ascii", length: 4 },
    { name: "nameLength", type: "u8" },
    { name: "name", type: "string", length: { field: "nameLength" }, maxLength: 32 },
    { name: "blob", type: "bytes", length: { prefix: "u16" }, maxLength: 64 },
    { name: "note", type: "string", length: { prefix: "varint" } },
    { name: "position", type: "struct", fields: [{ name: "x", type: "i16" }, { name: "y", type: "i16" }] },
    { name: "fixed", type: "array", count: 3, of: { type: "u8" } },
    { name: "count", type: "u8" },
    { name: "items", type: "array", count: { field: "count" }, maxCount: 10, of: { type: "struct", fields: [{ name: "id", type: "u16" }, { name: "hp", type: "u8", when: { field: "flags", bitsSet: 1 } }] } },
    { name: "kind", type: "u8" },
    {
      name: "detail",
      type: "switch",
      on: "kind",
      cases: [
        { value: 1, fields: [{ name: "speed", type: "f32" }] },
        { value: [2, 3], fields: [{ name: "text", type: "string", length: { prefix: "u8" } }] },
      ],
      default: { fields: [] },
    },
    { name: "extra", type: "u32", when: { field: "flags", equals: 3 } },
    { name: "notExtra", type: "u8", when: { field: "kind", notEquals: 2 } },
    { name: "inList", type: "u8", when: { field: "kind", in: [1, 2] } },
    { name: "notInList", type: "u8", when: { field: "kind", notIn: [1, 2] } },
    { name: "tail", type: "array", count: "untilEnd", maxCount: 100, of: { type: "u16" } },
  ]);

  it("round-trips every construct, compiled = interpreted", () => {
    const value: FieldRecord = {
      flags: 3,
      tag: "ABCD",
      nameLength: 5,
      name: "héllo".slice(0, 5),
      blob: new Uint8Array([9, 8, 7]),
      note: "n",
      position: { x: -3, y: 4 },
      fixed: [1, 2, 3],
      count: 2,
      items: [{ id: 1, hp: 50 }, { id: 2, hp: 60 }],
      kind: 2,
      detail: { text: "hi" },
      extra: 77,
      inList: 1,
      tail: [5, 6, 7],
    };
    const { decoded } = roundTrip(definition, value);
    expect(decoded).toEqual({ ...value, nameLength: 6, blob: new Uint8Array([9, 8, 7]) });
    const other = roundTrip(definition, { ...value, flags: 0, items: [{ id: 1 }], count: 1, kind: 1, detail: { speed: 0.5 }, notExtra: 4, tail: [] }).decoded;
    expect(other).toMatchObject({ items: [{ id: 1 }], detail: { speed: 0.5 }, notExtra: 4 });
    expect(other.extra).toBeUndefined();
    expect(roundTrip(definition, { ...value, kind: 9, detail: {}, notExtra: 1, notInList: 2 }).decoded).toMatchObject({ kind: 9, detail: {}, notInList: 2 });
  });

  it("limits lengths and counts: E_LENGTH_EXCEEDED / E_TRUNCATED, never allocation from a hostile count", () => {
    const [compiled, interpreted] = both(definition);
    for (const protocol of [compiled, interpreted]) {
      const long = protocol.encodeMessage("m", {
        flags: 0, tag: "ABCD", nameLength: 0, name: "x".repeat(40), blob: new Uint8Array(0), note: "", position: { x: 0, y: 0 }, fixed: [0, 0, 0], count: 0, items: [], kind: 0, detail: {}, notExtra: 0, notInList: 0, tail: [],
      });
      expect(decodeAll(protocol, long).anomalies[0]).toMatchObject({ code: "E_LENGTH_EXCEEDED", fieldPath: "m.name" });
      const hugeCount = single([{ name: "n", type: "u32" }, { name: "list", type: "array", count: { field: "n" }, of: { type: "u64" } }]);
      const hostile = compileProtocol(hugeCount, { mode: protocol.mode });
      const result = decodeAll(hostile, new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
      expect(result.anomalies[0]).toMatchObject({ code: "E_TRUNCATED", fieldPath: "m.list" });
      const hugeBytes = compileProtocol(single([{ name: "n", type: "u32" }, { name: "b", type: "bytes", length: { field: "n" } }]), { mode: protocol.mode });
      expect(decodeAll(hugeBytes, new Uint8Array([0x7f, 0xff, 0xff, 0xff, 1])).anomalies[0].code).toBe("E_TRUNCATED");
      const empty = compileProtocol(single([{ name: "n", type: "u32" }, { name: "list", type: "array", count: { field: "n" }, maxCount: 1_000_000_000, of: { type: "struct", fields: [{ name: "x", type: "u8", when: { field: "n", equals: 0 } }] } }]), { mode: protocol.mode });
      expect(decodeAll(empty, new Uint8Array([0xff, 0xff, 0xff, 0xff])).anomalies[0].code).toBe("E_LENGTH_EXCEEDED");
      const until = compileProtocol(single([{ name: "list", type: "array", count: "untilEnd", maxCount: 2, of: { type: "u8" } }]), { mode: protocol.mode });
      expect(decodeAll(until, new Uint8Array([1, 2, 3])).anomalies[0].code).toBe("E_LENGTH_EXCEEDED");
      const noCase = compileProtocol(single([{ name: "k", type: "u8" }, { name: "s", type: "switch", on: "k", cases: [{ value: 1, fields: [] }] }]), { mode: protocol.mode });
      expect(decodeAll(noCase, new Uint8Array([2])).anomalies[0].code).toBe("E_DECODE_FAILED");
      expect(() => noCase.encodeMessage("m", { k: 2, s: {} })).toThrow(/no case/);
    }
  });

  it("encoder checks shapes", () => {
    const [compiled, interpreted] = both(definition);
    for (const protocol of [compiled, interpreted]) {
      const base: FieldRecord = { flags: 0, tag: "ABCD", nameLength: 0, name: "", blob: new Uint8Array(0), note: "", position: { x: 0, y: 0 }, fixed: [0, 0, 0], count: 0, items: [], kind: 0, detail: {}, notExtra: 0, notInList: 0, tail: [] };
      expect(() => protocol.encodeMessage("m", { ...base, fixed: [1] })).toThrow(/exactly 3/);
      expect(() => protocol.encodeMessage("m", { ...base, position: 5 })).toThrow(/expected an object/);
      expect(() => protocol.encodeMessage("m", { ...base, tail: 5 })).toThrow(/expected an array/);
      expect(() => protocol.encodeMessage("m", { ...base, blob: "x" })).toThrow(/Uint8Array/);
      expect(() => protocol.encodeMessage("m", { ...base, tag: "TOOLONG" })).toThrow(/exactly 4/);
      expect(Buffer.from(protocol.encodeMessage("m", { ...base, tag: "AB" }).subarray(1, 5)).toString("hex")).toBe("41420000");
    }
    const counted = both(single([{ name: "n", type: "u8" }, { name: "other", type: "struct", fields: [{ name: "list", type: "array", count: { field: "n" }, of: { type: "u8" } }] }]));
    for (const protocol of counted) expect(() => protocol.encodeMessage("m", { n: 2, other: { list: [1] } })).toThrow(/count field/);
  });
});

describe("message selection", () => {
  it("selects by small and large integer values and falls back alike, compiled and interpreted", () => {
    // Values 0..255 go through the compiler's dense table, the rest through its map: same answers.
    const definition: ProtocolDefinition = {
      name: "select",
      body: {
        repeat: "untilEnd",
        frameHeader: [{ name: "kind", type: "u16" }],
        select: {
          on: "kind",
          cases: [
            { value: 0, message: "zero" },
            { value: 3, message: "three" },
            { value: 3, message: "shadowed" },
            { value: 1000, message: "big" },
          ],
          default: { message: "other" },
        },
      },
      messages: ["zero", "three", "shadowed", "big", "other"].map((name) => ({ name, fields: [{ name: "x", type: "u8" as const }] })),
    };
    for (const protocol of both(definition)) {
      const bytes = Uint8Array.from([0, 0, 1, 0, 3, 2, 0, 2, 3, 3, 0xe8, 4, 3, 0xe9, 5, 0, 255, 6, 1, 0, 7]);
      const { messages, anomalies } = decodeAll(protocol, bytes);
      expect(anomalies).toEqual([]);
      expect(messages.map((message) => [message.type, message.fields.kind, message.fields.x])).toEqual([
        ["zero", 0, 1],
        ["three", 3, 2],
        ["other", 2, 3],
        ["big", 1000, 4],
        ["other", 1001, 5],
        ["other", 255, 6],
        ["other", 256, 7],
      ]);
    }
  });

  it("reports a value without a case and without a default as an anomaly", () => {
    const definition: ProtocolDefinition = {
      name: "strict",
      body: { frameHeader: [{ name: "kind", type: "u8" }], select: { on: "kind", cases: [{ value: 1, message: "one" }, { value: 300, message: "far" }] } },
      messages: [
        { name: "one", fields: [] },
        { name: "far", fields: [] },
      ],
    };
    for (const protocol of both(definition)) {
      expect(decodeAll(protocol, Uint8Array.of(1)).messages.map((message) => message.type)).toEqual(["one"]);
      for (const value of [0, 2, 200]) {
        const { messages, anomalies } = decodeAll(protocol, Uint8Array.of(value));
        expect(messages).toEqual([]);
        expect(anomalies.map((anomaly) => anomaly.code)).toEqual(["E_DECODE_FAILED"]);
      }
    }
  });
});

describe("datagram layout", () => {
  const framed: ProtocolDefinition = {
    name: "framed",
    header: [{ name: "magic", type: "u16", enum: [0xbeef] }, { name: "time", type: "u32", role: "sendTime", unit: "ms" }],
    body: {
      repeat: "untilEnd",
      frameHeader: [{ name: "type", type: "u8" }, { name: "length", type: "u8" }],
      length: { field: "length" },
      select: { on: "type", cases: [{ value: 1, message: "a" }, { value: 2, message: "b" }], default: { message: "unknown" } },
    },
    messages: [
      { name: "a", channel: "fast", reliable: false, fields: [{ name: "x", type: "u8" }] },
      { name: "b", fields: [{ name: "flag", type: "bool" }, { name: "rtt", type: "u16", role: "reportedRtt", unit: "us" }] },
      { name: "unknown", fields: [{ name: "data", type: "bytes", length: "rest" }] },
    ],
  };

  it("frames several messages, copies header roles, converts units, keeps unknown types", () => {
    for (const protocol of both(framed)) {
      const bytes = protocol.encodeDatagram(
        [
          { type: "a", fields: { x: 7 } },
          { type: "b", fields: { flag: true, rtt: 2500 } },
          { type: "unknown", fields: { type: 9, data: new Uint8Array([1, 2]) } },
        ],
        { header: { time: 1234 } },
      );
      expect(Buffer.from(bytes).toString("hex")).toBe("beef000004d2" + "010107" + "02030109c4" + "09020102");
      const { messages, anomalies } = decodeAll(protocol, bytes);
      expect(anomalies).toEqual([]);
      expect(messages.map((message) => [message.type, message.byteLength, message.roles.sendTimeUs])).toEqual([
        ["a", 3, 1_234_000],
        ["b", 5, 1_234_000],
        ["unknown", 4, 1_234_000],
      ]);
      expect(messages[0].roles).toMatchObject({ channel: "fast", reliable: false });
      expect(messages[1].roles.reportedRttMs).toBe(2.5);
      // unread bytes inside a frame are reported, the next frame still decodes
      const padded = new Uint8Array([0xbe, 0xef, 0, 0, 0, 1, 1, 2, 7, 0, 1, 1, 8]);
      const result = decodeAll(protocol, padded);
      expect(result.messages.map((message) => message.fields.x)).toEqual([7, 8]);
      expect(result.anomalies.map((anomaly) => anomaly.code)).toEqual(["E_DECODE_FAILED"]);
      // a frame running past the end
      expect(decodeAll(protocol, new Uint8Array([0xbe, 0xef, 0, 0, 0, 1, 1, 9, 7])).anomalies[0].code).toBe("E_TRUNCATED");
    }
    const lenient = compileProtocol(framed, { reportTrailingBytes: false });
    expect(decodeAll(lenient, new Uint8Array([0xbe, 0xef, 0, 0, 0, 1, 1, 2, 7, 0])).anomalies).toEqual([]);
  });

  it("limits messages per datagram and reports a body with no case", () => {
    const limited = compileProtocol({ ...framed, body: { ...framed.body, maxMessages: 2 } });
    const bytes = limited.encodeDatagram([1, 2, 3].map((x) => ({ type: "a", fields: { x } })), { header: { time: 0 } });
    const result = decodeAll(limited, bytes);
    expect(result.messages).toHaveLength(2);
    expect(result.anomalies[0].code).toBe("E_LENGTH_EXCEEDED");
    const switched = compileProtocol({
      name: "sw",
      header: [{ name: "kind", type: "u8" }],
      body: { switch: "kind", cases: [{ value: 1, body: { select: { message: "one" } } }] },
      messages: [{ name: "one", fields: [{ name: "v", type: "u8" }] }],
    });
    expect(decodeAll(switched, new Uint8Array([2, 0])).anomalies[0].code).toBe("E_DECODE_FAILED");
    expect(decodeAll(switched, new Uint8Array([1, 5])).messages[0].fields).toEqual({ v: 5 });
    expect(decodeAll(switched, new Uint8Array([1, 5, 6])).anomalies[0].detail).toMatch(/unread/);
    expect(() => switched.encodeDatagram([{ type: "one", fields: { v: 1 } }], { header: { kind: 2 } })).toThrow(/no body/);
  });

  it("plugins: a field type and a transform registered by name", () => {
    registerProtocolPlugin({
      name: "nibbleString",
      field: {
        decode(reader: BitReader) {
          const length = reader.uint(4, false);
          let text = "";
          for (let index = 0; index < length; index++) text += String.fromCharCode(97 + reader.uint(4, false));
          return text;
        },
        encode(writer: BitWriter, value) {
          const text = value as string;
          writer.uint(text.length, 4, false);
          for (const char of text) writer.uint(char.charCodeAt(0) - 97, 4, false);
        },
      },
    });
    const reverse = {
      name: "reverse",
      transform: {
        decode: (bytes: Uint8Array) => ({ bytes: bytes.slice().reverse(), authenticated: true }),
        encode: (bytes: Uint8Array) => bytes.slice().reverse(),
      },
    };
    try {
      const definition: ProtocolDefinition = {
        name: "plugged",
        transforms: [{ kind: "plugin", plugin: "reverse" }],
        body: { select: { message: "m" } },
        messages: [{ name: "m", fields: [{ name: "s", type: "plugin", plugin: "nibbleString" }, { name: "n", type: "u8" }] }],
      };
      for (const mode of ["compiled", "interpreted"] as const) {
        const protocol = compileProtocol(definition, { mode, plugins: [reverse] });
        const bytes = protocol.encodeDatagram([{ type: "m", fields: { s: "abc", n: 9 } }]);
        const { messages, anomalies } = decodeAll(protocol, bytes);
        expect(anomalies).toEqual([]);
        expect(messages[0].fields).toEqual({ s: "abc", n: 9 });
        expect(messages[0].roles.authenticated).toBe(true);
        const missing = compileProtocol(definition, { mode });
        expect(decodeAll(missing, bytes).anomalies[0].code).toBe("E_DECODE_FAILED");
      }
      const throwing = compileProtocol(definition, {
        plugins: [reverse, { name: "nibbleString", field: { decode: () => { throw new RangeError("boom"); }, encode: () => undefined } }],
      });
      expect(decodeAll(throwing, new Uint8Array([1, 2])).anomalies[0]).toMatchObject({ code: "E_DECODE_FAILED", detail: "boom" });
    } finally {
      unregisterProtocolPlugin("nibbleString");
    }
  });

  it("XOR keyed by a field, with multi-byte keys", () => {
    const definition: ProtocolDefinition = {
      name: "x",
      header: [{ name: "key", type: "u8" }],
      transforms: [{ kind: "xor", keyField: "key", keys: { "1": "ff", "2": "0102" } }],
      body: { select: { message: "m" } },
      messages: [{ name: "m", fields: [{ name: "v", type: "u32" }] }],
    };
    for (const protocol of both(definition)) {
      for (const key of [0, 1, 2]) {
        const bytes = protocol.encodeDatagram([{ type: "m", fields: { v: 0x10203040 } }], { header: { key } });
        if (key === 2) expect([...bytes]).toEqual([2, 0x11, 0x22, 0x31, 0x42]);
        expect(decodeAll(protocol, bytes).messages[0].fields.v).toBe(0x10203040);
      }
    }
  });

  it("XOR per frame keyed by a frame field: small and large key values, and unkeyed values", () => {
    const definition: ProtocolDefinition = {
      name: "fx",
      body: {
        repeat: "untilEnd",
        frameHeader: [{ name: "key", type: "u16" }, { name: "length", type: "u8" }],
        length: { field: "length" },
        transforms: [{ kind: "xor", keyField: "key", keys: { "1": "ff", "300": "0f" } }],
        select: { message: "m" },
      },
      messages: [{ name: "m", fields: [{ name: "v", type: "u16" }] }],
    };
    for (const protocol of both(definition)) {
      const frames = [1, 300, 0, 2, 299].map((key) => ({ type: "m", fields: { key, v: 0x1234 } }));
      const bytes = protocol.encodeDatagram(frames);
      expect([...bytes]).toEqual([0, 1, 2, 0xed, 0xcb, 1, 44, 2, 0x1d, 0x3b, 0, 0, 2, 0x12, 0x34, 0, 2, 2, 0x12, 0x34, 1, 43, 2, 0x12, 0x34]);
      const { messages, anomalies } = decodeAll(protocol, bytes);
      expect(anomalies).toEqual([]);
      expect(messages.map((message) => message.fields.v)).toEqual([0x1234, 0x1234, 0x1234, 0x1234, 0x1234]);
    }
  });

  it("roles: every role normalized", () => {
    const definition = single([
      { name: "sequence", type: "u16", role: "sequence" },
      { name: "ack", type: "u16", role: "ack" },
      { name: "ackBits", type: "uint", bits: 17, role: "ackBits" },
      { name: "channel", type: "string", length: 1, role: "channel" },
      { name: "reliable", type: "bool", role: "reliable" },
      { name: "resends", type: "u8", role: "resendCount" },
      { name: "sent", type: "u32", role: "sendTime", unit: "s" },
      { name: "echo", type: "bytes", length: 2, role: "echoTime", echoPhase: "reply" },
      { name: "tick", type: "u32", role: "tick" },
      { name: "player", type: "u8", role: "playerId" },
      { name: "entity", type: "u8", role: "entityId" },
      { name: "pos", type: "struct", fields: [{ name: "x", type: "f32", role: "position.x" }, { name: "z", type: "f32", role: "position.z" }] },
      { name: "vy", type: "f32", role: "velocity.y" },
      { name: "qx", type: "f32", role: "rotation" },
      { name: "qy", type: "f32", role: "rotation" },
      { name: "qz", type: "f32", role: "rotation" },
      { name: "inputSequence", type: "u32", role: "inputSequence" },
      { name: "inputs", type: "u8", role: "inputCount" },
      { name: "rtt", type: "u16", role: "reportedRtt" },
      { name: "target", type: "u32", role: "targetTime", unit: "ns" },
      { name: "crc", type: "u32", role: "checksum" },
      { name: "mac", type: "bytes", length: 2, role: "mac" },
      { name: "kind", type: "u8", role: "messageType" },
      { name: "session", type: "u64", role: "sessionId" },
    ]);
    const protocol = compileProtocol(definition);
    const bytes = protocol.encodeMessage("m", {
      sequence: 1, ack: 2, ackBits: 3, channel: "c", reliable: true, resends: 2, sent: 3, echo: new Uint8Array([0xab, 0xcd]), tick: 4, player: 5, entity: 6,
      pos: { x: 1, z: 2 }, vy: 3, qx: 0.5, qy: 0.25, qz: 0, inputSequence: 7, inputs: 3, rtt: 80, target: 5000, crc: 9, mac: new Uint8Array(2), kind: 1, session: 2n ** 60n,
    });
    const roles = decodeAll(protocol, bytes).messages[0].roles;
    expect(roles).toEqual({
      sequence: 1, sequenceBits: 16, ack: 2, ackBits: 3, ackBitsWidth: 17, channel: "c", reliable: true, resendCount: 2, sendTimeUs: 3_000_000,
      echoKey: "abcd", echoPhase: "reply", tick: 4, playerId: 5, entityId: 6, position: { x: 1, y: 0, z: 2 }, velocity: { x: 0, y: 3, z: 0 },
      rotation: [0.5, 0.25, 0], inputSequence: 7, inputCount: 3, reportedRttMs: 80, targetTimeUs: 5, checksum: 9, sessionId: String(2n ** 60n),
      // Where counters and clocks wrap (for the RoleUnwrapper and serial-number arithmetic).
      inputSequenceBits: 32, tickBits: 32, sendTimeModulusUs: 2 ** 32 * 1_000_000, targetTimeModulusUs: 2 ** 32 / 1000,
    });
  });

  it("decodes in a session context and keeps the decoder usable across calls", () => {
    const protocol = compileProtocol(framed);
    const context = testContext({ packetIndex: 3 });
    for (let index = 0; index < 3; index++) {
      expect(decodeAll(protocol, new Uint8Array([1]), context).anomalies[0].code).toBe("E_TRUNCATED");
      expect(decodeAll(protocol, new Uint8Array([0xbe, 0xef, 0, 0, 0, 0, 1, 1, 5]), context).messages[0].fields.x).toBe(5);
    }
  });
});
