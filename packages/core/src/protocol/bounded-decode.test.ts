import { describe, expect, it } from "vitest";
import { hasErrorCode } from "../errors.js";
import { compileProtocol, decodeWorkBudget, MAX_DECODE_WORK, type FieldDefinition, type ProtocolDefinition, type ProtocolPlugin } from "./index.js";

/** Issue 19 §2, §5 (xor keys), §9: every loop reads input or is bounded; both decoders word anomalies alike. */

function single(fields: unknown[], extra: Record<string, unknown> = {}): ProtocolDefinition {
  return { name: "t", body: { select: { message: "m" } }, messages: [{ name: "m", fields }], ...extra } as ProtocolDefinition;
}

function rejection(definition: unknown): { path: string | undefined; message: string } {
  try {
    compileProtocol(definition);
  } catch (error) {
    expect(hasErrorCode(error, "E_DEFINITION_INVALID")).toBe(true);
    return { path: (error as { fieldPath?: string }).fieldPath, message: (error as Error).message };
  }
  throw new Error("expected E_DEFINITION_INVALID");
}

/** Decodes with both decoders, checks they agree exactly (fields and anomalies) and returns the result. */
function decodeBoth(definition: ProtocolDefinition, bytes: Uint8Array, plugins: ProtocolPlugin[] = []) {
  const compiled = compileProtocol(definition, { plugins });
  const interpreted = compileProtocol(definition, { mode: "interpreted", plugins });
  expect(compiled.mode).toBe("compiled");
  const first = compiled.decodeDatagramFields(bytes);
  expect(interpreted.decodeDatagramFields(bytes)).toEqual(first);
  return first;
}

const empty = { type: "struct", fields: [] };
/** A struct whose only field has a `when` that is false at run time (minimum size 0, not always empty). */
const maybeEmpty = { type: "struct", fields: [{ name: "x", type: "u8", when: { field: "flag", equals: 1 } }] };

describe("protocol check rejects what can never read input (§2)", () => {
  it.each([
    ["nested arrays of empty structs (65,536 × 65,536)", single([{ name: "a", type: "array", count: 65_536, of: { type: "array", count: 65_536, of: empty } }]), "/messages/0/fields/0/of/of"],
    ["untilEnd over an empty struct with maxCount 1e8", single([{ name: "a", type: "array", count: "untilEnd", maxCount: 100_000_000, of: empty }]), "/messages/0/fields/0/of"],
    ["an array of zero-length bytes", single([{ name: "a", type: "array", count: { prefix: "u32" }, maxCount: 100_000_000, of: { type: "bytes", length: 0 } }]), "/messages/0/fields/0/of"],
    ["an array of zero-length strings", single([{ name: "a", type: "array", count: 3, of: { type: "string", length: 0 } }]), "/messages/0/fields/0/of"],
    ["an array of empty-count arrays", single([{ name: "a", type: "array", count: 3, of: { type: "array", count: 0, of: { type: "u8" } } }]), "/messages/0/fields/0/of"],
    [
      "an array of switches whose every case is empty",
      single([{ name: "k", type: "u8" }, { name: "a", type: "array", count: 3, of: { type: "switch", on: "k", cases: [{ value: 1, fields: [] }], default: { fields: [] } } }]),
      "/messages/0/fields/1/of",
    ],
    ["untilEnd over a struct whose only field has a when", single([{ name: "flag", type: "u8" }, { name: "a", type: "array", count: "untilEnd", maxCount: 100_000_000, of: maybeEmpty }]), "/messages/0/fields/1/count"],
    ["frames repeated until the end that may be empty", { name: "t", body: { repeat: "untilEnd", select: { message: "m" } }, messages: [{ name: "m", fields: [] }] }, "/body/repeat"],
    [
      "frames whose selected message may be empty after an empty prefix",
      {
        name: "t",
        header: [{ name: "k", type: "u8" }],
        body: { repeat: "untilEnd", select: { on: "k", prefix: [{ name: "p", type: "u8", when: { field: "k", equals: 9 } }], cases: [{ value: 1, message: "full" }], default: { message: "m" } } },
        messages: [{ name: "m", fields: [] }, { name: "full", fields: [{ name: "x", type: "u8" }] }],
      },
      "/body/repeat",
    ],
  ])("%s", (_label, definition, path) => {
    const { path: reported, message } = rejection(definition);
    expect(reported).toBe(path);
    expect(message.startsWith(`${path}: `)).toBe(true);
  });

  it("still accepts what reads input, and lone empty values", () => {
    expect(() => compileProtocol(single([{ name: "b", type: "bytes", length: 0 }, { name: "s", type: "struct", fields: [] }]))).not.toThrow();
    expect(() => compileProtocol({ name: "t", body: { repeat: "untilEnd", length: { field: "n" }, frameHeader: [{ name: "n", type: "u8" }], select: { message: "m" } }, messages: [{ name: "m", fields: [] }] })).not.toThrow();
    expect(() => compileProtocol({ name: "t", body: { repeat: "untilEnd", select: { message: "m" } }, messages: [{ name: "m", fields: [{ name: "x", type: "u8" }] }] })).not.toThrow();
  });
});

describe("decode work is bounded per datagram, identically in both decoders (§2)", () => {
  it("nested arrays of maybe-empty elements (65,536 × 65,536) stop at the work budget", () => {
    const definition = single([
      { name: "flag", type: "u8" },
      { name: "a", type: "array", count: { prefix: "u16" }, maxCount: 65_536, of: { type: "array", count: 65_535, of: maybeEmpty } },
    ]);
    const started = performance.now();
    const result = decodeBoth(definition, Uint8Array.of(0, 0xff, 0xff));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result.messages).toEqual([]);
    expect(result.anomalies).toHaveLength(1);
    expect(result.anomalies[0]).toMatchObject({ code: "E_LENGTH_EXCEEDED", fieldPath: "m.a" });
    expect(result.anomalies[0].detail).toMatch(/decode work budget/);
  });

  it("a count of maybe-empty elements is charged before the loop: the outer array stops at once", () => {
    const definition = single([
      { name: "flag", type: "u8" },
      { name: "a", type: "array", count: 65_536, of: { type: "struct", fields: Array.from({ length: 20 }, (_, index) => ({ name: `x${index}`, type: "u8", when: { field: "flag", equals: 1 } })) } },
    ]);
    const result = decodeBoth(definition, Uint8Array.of(0));
    expect(result.anomalies[0]).toMatchObject({ code: "E_LENGTH_EXCEEDED", fieldPath: "m.a" });
  });

  it("maybe-empty elements that are present decode normally", () => {
    const definition = single([{ name: "flag", type: "u8" }, { name: "a", type: "array", count: 3, of: maybeEmpty }]);
    expect(decodeBoth(definition, Uint8Array.of(1, 7, 8, 9)).messages[0].fields).toEqual({ flag: 1, a: [{ x: 7 }, { x: 8 }, { x: 9 }] });
    expect(decodeBoth(definition, Uint8Array.of(0)).messages[0].fields).toEqual({ flag: 0, a: [{}, {}, {}] });
  });

  it("many frames of many empty fields stop at the budget, after the frames that fit", () => {
    const fields = Array.from({ length: 500 }, (_, index) => ({ name: `b${index}`, type: "bytes", length: 0 }));
    const definition: ProtocolDefinition = {
      name: "t",
      body: { repeat: "untilEnd", maxMessages: 65_536, frameHeader: [{ name: "k", type: "u8" }], select: { message: "m" } },
      messages: [{ name: "m", fields: fields as FieldDefinition[] }],
    };
    const result = decodeBoth(definition, new Uint8Array(400));
    const perFrame = 500 + 1 + 1;
    expect(decodeWorkBudget(400)).toBe(65_536 + 25_600);
    expect(result.messages).toHaveLength(Math.floor(decodeWorkBudget(400) / perFrame));
    expect(result.anomalies).toEqual([expect.objectContaining({ code: "E_LENGTH_EXCEEDED", fieldPath: "m", messageType: "m" })]);
  });

  it("the budget grows with the datagram up to a maximum", () => {
    expect(decodeWorkBudget(0)).toBe(65_536);
    expect(decodeWorkBudget(65_507)).toBe(MAX_DECODE_WORK);
  });

  it("the budget is per datagram: the next datagram starts afresh", () => {
    // 32,768 maybe-empty elements of 2 units each: all but the whole budget of a 3-byte datagram.
    const definition = single([{ name: "flag", type: "u8" }, { name: "a", type: "array", count: { prefix: "u16" }, maxCount: 65_536, of: maybeEmpty }]);
    for (const mode of ["compiled", "interpreted"] as const) {
      const protocol = compileProtocol(definition, { mode });
      for (let round = 0; round < 3; round++) expect(protocol.decodeDatagramFields(Uint8Array.of(0, 0x80, 0)).anomalies).toEqual([]);
      expect(protocol.decodeDatagramFields(Uint8Array.of(0, 0x81, 0)).anomalies).toEqual([expect.objectContaining({ code: "E_LENGTH_EXCEEDED" })]);
    }
  });

  it("an untilEnd element or a repeated frame that reads nothing (only a plugin can) stops with an anomaly", () => {
    const nothing: ProtocolPlugin = { name: "nothing", field: { decode: () => 0, encode: () => undefined } };
    const array = single([{ name: "a", type: "array", count: "untilEnd", maxCount: 100_000_000, of: { type: "plugin", plugin: "nothing" } }]);
    const arrayResult = decodeBoth(array, Uint8Array.of(1, 2), [nothing]);
    expect(arrayResult.anomalies).toEqual([expect.objectContaining({ code: "E_DECODE_FAILED", fieldPath: "m.a", detail: "m.a: an element read no input, so the array would never end" })]);
    const frames: ProtocolDefinition = { name: "t", body: { repeat: "untilEnd", select: { message: "m" } }, messages: [{ name: "m", fields: [{ name: "p", type: "plugin", plugin: "nothing" }] }] };
    const framesResult = decodeBoth(frames, Uint8Array.of(1, 2), [nothing]);
    expect(framesResult.messages).toHaveLength(1);
    expect(framesResult.anomalies).toEqual([expect.objectContaining({ code: "E_DECODE_FAILED", fieldPath: "m", detail: "a frame read no input, so the datagram's frames would never end" })]);
  });

  it("the encoder does not pad text to a hostile length", () => {
    for (const mode of ["compiled", "interpreted"] as const) {
      const protocol = compileProtocol(single([{ name: "n", type: "u32" }, { name: "s", type: "struct", fields: [{ name: "text", type: "string", length: { field: "n" } }] }]), { mode });
      expect(() => protocol.encodeMessage("m", { n: 2 ** 31, s: { text: "x" } })).toThrow(/at most 1048576/);
      expect([...protocol.encodeMessage("m", { n: 3, s: { text: "x" } })]).toEqual([0, 0, 0, 3, 0x78, 0, 0]);
    }
  });
});

describe("compiled and interpreted decoders word every anomaly alike (§9)", () => {
  it("a switch without a case: same code, path, offset and message", () => {
    const definition = single([{ name: "k", type: "u8" }, { name: "s", type: "switch", on: "k", cases: [{ value: 1, fields: [{ name: "x", type: "u8" }] }] }]);
    const result = decodeBoth(definition, Uint8Array.of(2, 0));
    expect(result.anomalies).toEqual([expect.objectContaining({ code: "E_DECODE_FAILED", fieldPath: "m.s", detail: "m.s: no case for k = 2" })]);
    for (const mode of ["compiled", "interpreted"] as const) {
      expect(() => compileProtocol(definition, { mode }).encodeMessage("m", { k: 3, s: {} })).toThrow("m.s: no case for k = 3");
    }
  });

  it("an enum tested inline reports exactly the interpreter's violations for every value (with a max, signed, 64-bit, -0, a float NaN)", () => {
    const definition = single([
      // in the enum but over the max (200), in it (0, 3), or neither
      { name: "kind", type: "u8", enum: [0, 3, 200], max: 150 },
      { name: "signed", type: "i8", enum: [-1, 0] },
      // a 64-bit value beyond 2^53 decodes to a bigint: the exact check decides
      { name: "wide", type: "u64", enum: [1, 2] },
      { name: "level", type: "f32", enum: [-0, 1.5] },
    ]);
    const compiled = compileProtocol(definition);
    let violations = 0;
    for (let value = 0; value < 256; value++) {
      const wide = value % 3 === 0 ? 2n ** 60n : BigInt(value % 4);
      const level = value % 4 === 0 ? 0 : value % 4 === 1 ? Number.NaN : value % 4 === 2 ? 1.5 : -0;
      const bytes = compiled.encodeMessage("m", { kind: value, signed: (value % 3) - 1, wide, level });
      const result = decodeBoth(definition, bytes);
      const expected = (value === 0 || value === 3 ? 0 : 1) + ((value % 3) - 1 === 1 ? 1 : 0) + (value % 3 === 0 || value % 4 === 0 || value % 4 === 3 ? 1 : 0) + (value % 4 === 1 ? 1 : 0);
      expect(result.anomalies.filter((anomaly) => anomaly.code === "E_VALUE_OUT_OF_RANGE"), `value ${value}`).toHaveLength(expected);
      violations += expected;
    }
    expect(violations).toBeGreaterThan(400);
  });

  it("a truncation right after a packed group names the same field", () => {
    // The inner count prefix of the second element is missing: the reader's current field is the last field read.
    const definition = single([
      { name: "arr", type: "array", count: 2, of: { type: "array", count: { prefix: "u8" }, of: { type: "struct", fields: [{ name: "a", type: "u8" }, { name: "b", type: "u8" }] } } },
    ]);
    const result = decodeBoth(definition, Uint8Array.of(1, 5, 6));
    expect(result.anomalies).toEqual([expect.objectContaining({ code: "E_TRUNCATED", fieldPath: "m.arr[][].b", offset: 3, detail: "m.arr[][].b: needs 8 bits at bit 24, only 0 left" })]);
  });

  it("every cut of a datagram gives the same anomaly code, path, offset and message in both decoders", () => {
    const definition = single([
      { name: "k", type: "u8" },
      { name: "flags", type: "uint", bits: 3 },
      { name: "small", type: "uint", bits: 5 },
      { name: "items", type: "array", count: { prefix: "u8" }, maxCount: 8, of: { type: "struct", fields: [{ name: "a", type: "u16" }, { name: "b", type: "int", bits: 12 }, { name: "c", type: "uint", bits: 4 }] } },
      { name: "s", type: "switch", on: "k", cases: [{ value: 1, fields: [{ name: "text", type: "string", length: { prefix: "u8" }, maxLength: 4 }] }] },
      { name: "tail", type: "u32", byteOrder: "little", when: { field: "flags", bitsSet: 1 } },
    ]);
    const compiled = compileProtocol(definition);
    const bytes = compiled.encodeMessage("m", { k: 1, flags: 1, small: 3, items: [{ a: 1, b: -2, c: 3 }, { a: 4, b: 5, c: 6 }], s: { text: "abc" }, tail: 7 });
    const seen = new Set<string>();
    for (let cut = 0; cut <= bytes.length; cut++) {
      for (const variant of [bytes.subarray(0, cut), Uint8Array.from(bytes.subarray(0, cut), (byte, index) => (index === 0 ? 2 : byte))]) {
        const result = decodeBoth(definition, variant);
        for (const anomaly of result.anomalies) seen.add(`${anomaly.code} ${anomaly.offset !== undefined}`);
      }
    }
    expect([...seen].sort()).toEqual(["E_DECODE_FAILED false", "E_TRUNCATED true"]);
  });
});

describe("xor key maps are validated with their JSON path (§5)", () => {
  const xor = (keys: Record<string, string>) => ({
    name: "t",
    header: [{ name: "k", type: "u8" }],
    transforms: [{ kind: "xor", keyField: "k", keys }],
    body: { select: { message: "m" } },
    messages: [{ name: "m", fields: [] }],
  });

  it.each([
    [{ "": "ff" }, "/transforms/0/keys/"],
    [{ abc: "ff" }, "/transforms/0/keys/abc"],
    [{ "1": "f" }, "/transforms/0/keys/1"],
    [{ "1": "" }, "/transforms/0/keys/1"],
    [{ "01": "ff" }, "/transforms/0/keys/01"],
    [{ "-0": "ff" }, "/transforms/0/keys/-0"],
    [{ "99999999999999999999": "ff" }, "/transforms/0/keys/99999999999999999999"],
  ])("%j is rejected at %s", (keys, path) => {
    const { path: reported, message } = rejection(xor(keys));
    expect(reported).toBe(path);
    expect(message.startsWith(`${path}: `)).toBe(true);
  });

  it("accepts decimal integers, negative ones included", () => {
    expect(() => compileProtocol(xor({ "0": "ff", "-3": "0a0b", "9007199254740991": "01" }))).not.toThrow();
  });

  it("reports a problem inside a count or length object at its own path", () => {
    expect(rejection(single([{ name: "a", type: "array", count: { field: 5 }, of: { type: "u8" } }])).path).toBe("/messages/0/fields/0/count/field");
    expect(rejection(single([{ name: "a", type: "bytes", length: { prefix: "u64" } }])).path).toBe("/messages/0/fields/0/length/prefix");
    expect(rejection(single([{ name: "a", type: "bytes", length: -1 }])).path).toBe("/messages/0/fields/0/length");
  });

  it("reports an AEAD problem inside the transform, not at the union", () => {
    const { path } = rejection({ ...xor({}), transforms: [{ kind: "aead", algorithm: "aes-128-gcm", nonce: [{ zeros: 12 }], keys: { both: "xyz" } }] });
    expect(path).toBe("/transforms/0/keys/both");
  });
});

describe("defects found by the definition fuzzer", () => {
  it("little-endian integers off a byte boundary decode what the encoder wrote", () => {
    for (const [type, bits] of [["uint", 16], ["int", 24], ["uint", 40], ["int", 48]] as const) {
      for (const before of [1, 3, 5]) {
        const definition = single([{ name: "p", type: "uint", bits: before }, { name: "v", type, bits, byteOrder: "little" }]);
        const value = type === "int" ? -(2 ** (bits - 2)) + 12_345 : 2 ** (bits - 1) + 12_345;
        for (const mode of ["compiled", "interpreted"] as const) {
          const protocol = compileProtocol(definition, { mode });
          expect(protocol.decodeDatagramFields(protocol.encodeMessage("m", { p: 1, v: value })).messages[0].fields.v).toBe(value);
        }
      }
    }
    // 0x3412 little-endian after one bit: 1, then 0x12 and 0x34 each most significant bit first.
    const protocol = compileProtocol(single([{ name: "p", type: "uint", bits: 1 }, { name: "v", type: "u16", byteOrder: "little" }]));
    expect(protocol.decodeDatagramFields(Uint8Array.of(0x89, 0x1a, 0x00)).messages[0].fields).toEqual({ p: 1, v: 0x3412 });
  });

  it("an ascii string's length field counts ascii bytes when encoding (not UTF-8 bytes)", () => {
    const definition = single([{ name: "n", type: "u8" }, { name: "text", type: "string", length: { field: "n" }, encoding: "ascii" }, { name: "after", type: "u8" }]);
    for (const mode of ["compiled", "interpreted"] as const) {
      const protocol = compileProtocol(definition, { mode });
      const bytes = protocol.encodeMessage("m", { text: "ãb", after: 9 });
      expect([...bytes]).toEqual([2, 0xe3, 0x62, 9]);
      expect(protocol.decodeDatagramFields(bytes).messages[0].fields).toEqual({ n: 2, text: "ãb", after: 9 });
    }
  });

  it("a huge fixed length still compiles to code (its minimum size is capped, not Infinity)", () => {
    const definition = single([{ name: "a", type: "array", count: 2, of: { type: "bytes", length: 1e308 } }, { name: "b", type: "bytes", length: 1e308 }]);
    expect(compileProtocol(definition).mode).toBe("compiled");
    expect(decodeBoth(definition, Uint8Array.of(1, 2)).anomalies).toEqual([expect.objectContaining({ code: "E_TRUNCATED", fieldPath: "m.a" })]);
  });

  it("bytes a message leaves unread in a transformed frame are reported, as in a length-framed one", () => {
    const definition: ProtocolDefinition = {
      name: "t",
      header: [{ name: "k", type: "u8" }],
      body: { repeat: "untilEnd", transforms: [{ kind: "xor", keyField: "k", keys: { "1": "ff" } }], select: { message: "m" } },
      messages: [{ name: "m", fields: [{ name: "x", type: "u8" }] }],
    };
    for (const key of [1, 2]) {
      const result = decodeBoth(definition, Uint8Array.of(key, 5, 6, 7));
      expect(result.messages.map((message) => message.fields.x)).toEqual([key === 1 ? 0xfa : 5]);
      expect(result.anomalies).toEqual([expect.objectContaining({ code: "E_DECODE_FAILED", fieldPath: "m", detail: "2 unread bytes at the end of the message" })]);
    }
  });
});

describe("long case and condition lists are looked up, not scanned per decode", () => {
  it("gives the answers of a scan: first matching case, bigint and boolean keys, in / notIn", () => {
    const many = Array.from({ length: 40 }, (_, index) => index * 3);
    for (const count of [3, 40]) {
      const values = many.slice(0, count);
      const definition = single([
        { name: "k", type: "u64" },
        { name: "b", type: "bool" },
        {
          name: "s",
          type: "switch",
          on: "k",
          cases: [
            { value: values, fields: [{ name: "first", type: "u8" }] },
            { value: [values[1], 1000], fields: [{ name: "second", type: "u8" }] },
          ],
          default: { fields: [] },
        },
        { name: "inList", type: "u8", when: { field: "k", in: values } },
        { name: "notInList", type: "u8", when: { field: "k", notIn: values } },
        { name: "flagged", type: "u8", when: { field: "b", in: [1, ...values.slice(1)] } },
      ]);
      const header = (k: number, b: boolean) => [0, 0, 0, 0, 0, 0, k >> 8, k & 0xff, b ? 1 : 0];
      expect(decodeBoth(definition, Uint8Array.of(...header(3, true), 7, 8, 9)).messages[0].fields).toEqual({ k: 3n, b: true, s: { first: 7 }, inList: 8, flagged: 9 });
      expect(decodeBoth(definition, Uint8Array.of(...header(1000, false), 7, 8)).messages[0].fields).toEqual({ k: 1000n, b: false, s: { second: 7 }, notInList: 8 });
      expect(decodeBoth(definition, Uint8Array.of(...header(4, false), 8)).messages[0].fields).toEqual({ k: 4n, b: false, s: {}, notInList: 8 });
    }
  });
});
