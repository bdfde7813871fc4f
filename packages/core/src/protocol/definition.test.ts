import { describe, expect, it } from "vitest";
import { hasErrorCode } from "../errors.js";
import { loadExample } from "../test-support/protocols.js";
import {
  compileProtocol,
  decoderSource,
  encoderSource,
  formatProtocolSummary,
  parseProtocolDefinition,
  ProtocolDefinitionSchema,
  summarizeProtocol,
  validateProtocolDefinition,
  type FieldDefinition,
  type ProtocolDefinition,
} from "./index.js";
import { planProtocolDefinition } from "./validate.js";

function single(fields: unknown[], extra: Record<string, unknown> = {}): unknown {
  return { name: "t", body: { select: { message: "m" } }, messages: [{ name: "m", fields }], ...extra };
}

function definitionError(definition: unknown): Error & { code: string; fieldPath?: string } {
  try {
    compileProtocol(definition);
  } catch (error) {
    expect(hasErrorCode(error, "E_DEFINITION_INVALID")).toBe(true);
    return error as Error & { code: string; fieldPath?: string };
  }
  throw new Error("expected E_DEFINITION_INVALID");
}

describe("validation errors name the JSON path and the problem", () => {
  it.each([
    [single([{ name: "a", type: "u8", bits: "x" }]), "/messages/0/fields/0/bits", /Expected integer/],
    [single([{ name: "a", type: "u9" }]), "/messages/0/fields/0/type", /./],
    [single([{ name: "a", type: "u8", colour: 1 }]), "/messages/0/fields/0/colour", /unknown property "colour"/],
    [single([{ name: "a", type: "uint" }]), "/messages/0/fields/0/bits", /between 1 and 64/],
    [single([{ name: "a", type: "uint", bits: 65 }]), "/messages/0/fields/0/bits", /between 1 and 64/],
    [single([{ name: "a", type: "uint", bits: 12, byteOrder: "little" }]), "/messages/0/fields/0/byteOrder", /whole number of bytes/],
    [single([{ name: "a", type: "u8", bits: 16 }]), "/messages/0/fields/0/bits", /u8 is 8 bits/],
    [single([{ name: "a", type: "quantized", min: 1, max: 0, bits: 8 }]), "/messages/0/fields/0", /min < max/],
    [single([{ name: "a", type: "quantized", min: 0, max: 1, bits: 40 }]), "/messages/0/fields/0/bits", /between 1 and 32/],
    [single([{ name: "a", type: "bool", bits: 9 }]), "/messages/0/fields/0/bits", /between 1 and 8/],
    [single([{ name: "a", type: "bytes" }]), "/messages/0/fields/0", /needs a length/],
    [single([{ name: "a", type: "bytes", length: 10, maxLength: 5 }]), "/messages/0/fields/0/length", /exceeds maxLength/],
    [single([{ name: "a", type: "string", length: { field: "nope" } }]), "/messages/0/fields/0/length/field", /not an earlier field/],
    [single([{ name: "a", type: "u8" }, { name: "a", type: "u8" }]), "/messages/0/fields/1/name", /duplicate/],
    [single([{ name: "a", type: "struct" }]), "/messages/0/fields/0", /needs fields/],
    [single([{ name: "a", type: "array", count: 2 }]), "/messages/0/fields/0", /needs `of`/],
    [single([{ name: "a", type: "array", of: { type: "u8" } }]), "/messages/0/fields/0", /needs a count/],
    [single([{ name: "a", type: "array", count: "untilEnd", of: { type: "struct", fields: [] } }]), "/messages/0/fields/0/of", /never read any input/],
    [single([{ name: "f", type: "u8" }, { name: "a", type: "array", count: { prefix: "u8" }, of: { type: "struct", fields: [{ name: "x", type: "u8", when: { field: "f" } }] } }]), "/messages/0/fields/1/maxCount", /need maxCount/],
    [single([{ name: "a", type: "array", count: 2, of: { name: "x", type: "u8" } }]), "/messages/0/fields/0/of/name", /no name/],
    [single([{ name: "a", type: "switch", on: "a" }]), "/messages/0/fields/0", /needs `on` and `cases`/],
    [single([{ name: "a", type: "ref", ref: "missing" }]), "/messages/0/fields/0/ref", /unknown type/],
    [single([{ name: "a", type: "plugin" }]), "/messages/0/fields/0", /need `plugin`/],
    [single([{ name: "a", type: "u8", when: { field: "later" } }, { name: "later", type: "u8" }]), "/messages/0/fields/0/when/field", /not an earlier field/],
    [single([{ name: "a", type: "string", length: 2, min: 1 }]), "/messages/0/fields/0", /min\/max apply to numbers/],
    [single([{ name: "a", type: "u8", maxLength: 3 }]), "/messages/0/fields/0/maxLength", /bytes and string/],
    [single([{ name: "a", type: "u8", role: "echoTime" }]), "/messages/0/fields/0/echoPhase", /needs echoPhase/],
    [single([{ name: "a", type: "string", length: 1, role: "tick" }]), "/messages/0/fields/0/role", /numeric/],
    [single([{ name: "a", type: "string", length: 1, role: "inputCount" }]), "/messages/0/fields/0/role", /array or an integer/],
    [single([{ name: "n", type: "string", length: 1 }, { name: "a", type: "array", count: { field: "n" }, of: { type: "u8" } }]), "/messages/0/fields/1", /must be an integer/],
    [{ name: "t", body: { select: { message: "zzz" } }, messages: [{ name: "m", fields: [] }] }, "/body/select/message", /unknown message/],
    [{ name: "t", body: {}, messages: [{ name: "m", fields: [] }] }, "/body", /needs `select`/],
    [{ name: "t", body: { select: { on: "x" } }, messages: [{ name: "m", fields: [] }] }, "/body/select", /needs `message`, or `on` and `cases`/],
    [{ name: "t", body: { select: { on: "x", cases: [{ value: 1 }] }, frameHeader: [{ name: "x", type: "u8" }] }, messages: [{ name: "m", fields: [] }] }, "/body/select/cases/0", /needs `message` or `select`/],
    [{ name: "t", body: { select: { message: "m" }, length: { field: "nope" } }, messages: [{ name: "m", fields: [] }] }, "/body/length/field", /not a frame header field/],
    [{ name: "t", body: { select: { message: "m" }, frameHeader: [{ name: "l", type: "u64" }], length: { field: "l" } }, messages: [{ name: "m", fields: [] }] }, "/body/length/field", /at most 53 bits/],
    [{ name: "t", body: { select: { message: "m" } }, messages: [{ name: "m", fields: [] }, { name: "m", fields: [] }] }, "/messages/1/name", /duplicate message/],
    [{ name: "t", body: { select: { message: "m" } }, messages: [] }, "/messages", /./],
    [{ name: "t", transforms: [{ kind: "aead", algorithm: "aes-128-gcm", nonce: [{ zeros: 8 }] }], body: { select: { message: "m" } }, messages: [{ name: "m", fields: [] }] }, "/transforms/0/nonce", /12-byte nonce/],
    [{ name: "t", transforms: [{ kind: "aead", algorithm: "aes-128-gcm", nonce: [{ zeros: 12 }], keys: { both: "00" } }], body: { select: { message: "m" } }, messages: [{ name: "m", fields: [] }] }, "/transforms/0/keys", /16-byte key/],
    [{ name: "t", transforms: [{ kind: "aead", algorithm: "aes-128-gcm", nonce: [{ zeros: 4 }, { uint: 300, bytes: 1 }, { zeros: 7 }] }], body: { select: { message: "m" } }, messages: [{ name: "m", fields: [] }] }, "/transforms/0/nonce/1/uint", /does not fit/],
    [{ name: "t", transforms: [{ kind: "xor", keyField: "k", keys: { "1": "ff" } }], body: { select: { message: "m" } }, messages: [{ name: "m", fields: [] }] }, "/transforms/0/keyField", /not an earlier field/],
    [{ name: "t", body: { switch: "k", cases: [] }, messages: [{ name: "m", fields: [] }] }, "/body/switch", /not an earlier field/],
    [{ name: "t", types: { a: { name: "x", type: "u8" } }, body: { select: { message: "m" } }, messages: [{ name: "m", fields: [{ name: "f", type: "ref", ref: "a" }] }] }, "/types/a/name", /no field name/],
  ])("%#: %s", (definition, path, problem) => {
    const error = definitionError(definition);
    expect(error.fieldPath).toBe(path);
    expect(error.message.startsWith(`${path}: `)).toBe(true);
    expect(error.message).toMatch(problem);
  });

  it("parses text and rejects bad JSON with the same code", () => {
    expect(parseProtocolDefinition(JSON.stringify(loadExample("arena"))).name).toBe("arena");
    expect(() => parseProtocolDefinition("{ nope")).toThrow(/not valid JSON/);
    expect(() => compileProtocol("{ nope")).toThrow(/not valid JSON/);
    expect(compileProtocol(JSON.stringify(loadExample("rtp"))).name).toBe("rtp");
    expect(() => parseProtocolDefinition(" ".repeat(16 * 1024 * 1024 + 1))).toThrow(/longer than/);
    expect(validateProtocolDefinition(loadExample("firefall")).name).toBe("firefall");
  });

  it("the schema is plain JSON Schema (for editors) and the definition stays a cloneable plain object", () => {
    const schema = JSON.parse(JSON.stringify(ProtocolDefinitionSchema));
    expect(schema.properties.messages.type).toBe("array");
    const arena = loadExample("arena");
    const clone = structuredClone(arena);
    expect(compileProtocol(clone).messageTypes).toEqual(compileProtocol(arena).messageTypes);
  });
});

describe("hostile definitions never run code or exhaust memory", () => {
  const hostileNames = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "a;process.exit(1)", 'a"];process.exit(1);//', "a'b", "a\nb", "a b", "", "1abc", "a".repeat(65), "__defineGetter__", "x`${process.exit(1)}`"];

  it.each(hostileNames)("rejects the field name %j", (name) => {
    const error = definitionError(single([{ name, type: "u8" }]));
    expect(error.fieldPath).toBe("/messages/0/fields/0/name");
  });

  it.each(hostileNames)("rejects the message, type, protocol and condition name %j", (name) => {
    expect(definitionError({ name: "t", body: { select: { message: name } }, messages: [{ name, fields: [] }] }).fieldPath).toBe("/messages/0/name");
    expect(definitionError({ name, body: { select: { message: "m" } }, messages: [{ name: "m", fields: [] }] }).fieldPath).toBe("/name");
    expect(definitionError(single([{ name: "a", type: "u8" }, { name: "b", type: "u8", when: { field: name } }])).fieldPath).toBe("/messages/0/fields/1/when/field");
    if (name !== "" && !Object.hasOwn({ ["__proto__"]: 1 }, name)) {
      const types: Record<string, unknown> = {};
      Object.defineProperty(types, name, { value: { type: "u8" }, enumerable: true });
      expect(definitionError(single([{ name: "a", type: "ref", ref: name }], { types })).message).toMatch(/types|ref/);
    }
  });

  it("strings that reach the generated code cannot break out of it", () => {
    const marker = "globalThis.__tickscopeHacked = true";
    const definition = single([
      { name: "a", type: "u8", enum: [`"]; ${marker}; //`, 1], description: `*/ ${marker} /*` },
      { name: "b", type: "string", length: 3, enum: [`\`\${${marker}}\``] },
      { name: "c", type: "switch", on: "a", cases: [{ value: `'); ${marker}; ('`, fields: [] }], default: { fields: [] } },
    ]);
    const protocol = compileProtocol(definition);
    const bytes = protocol.encodeMessage("m", { a: 1, b: "abc", c: {} });
    expect(protocol.decodeDatagramFields(bytes).messages[0].fields).toMatchObject({ a: 1, b: "abc" });
    expect((globalThis as Record<string, unknown>).__tickscopeHacked).toBeUndefined();
    const source = decoderSource(planProtocolDefinition(definition).messages[0].fields, 1).source + encoderSource(planProtocolDefinition(definition).messages[0].fields, 1).source;
    expect(source).not.toContain("tickscopeHacked");
  });

  it("decoded records never get a prototype from the input", () => {
    const protocol = compileProtocol(single([{ name: "value", type: "u8" }]));
    const fields = protocol.decodeDatagramFields(new Uint8Array([1])).messages[0].fields;
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(Object.keys(fields)).toEqual(["value"]);
  });

  it("rejects recursion, deep nesting and huge expansions", () => {
    const recursive = single([{ name: "a", type: "ref", ref: "node" }], {
      types: { node: { type: "struct", fields: [{ name: "child", type: "ref", ref: "node" }] } },
    });
    expect(definitionError(recursive).message).toMatch(/recursive type node -> node/);
    const mutual = single([{ name: "a", type: "ref", ref: "x" }], { types: { x: { type: "array", count: 1, of: { type: "ref", ref: "y" } }, y: { type: "ref", ref: "x" } } });
    expect(definitionError(mutual).message).toMatch(/recursive type/);
    let deep: FieldDefinition = { name: "leaf", type: "u8" };
    for (let depth = 0; depth < 40; depth++) deep = { name: `s${depth}`, type: "struct", fields: [deep] };
    expect(definitionError(single([deep])).message).toMatch(/nesting deeper than 32/);
    let veryDeep: unknown = { name: "leaf", type: "u8" };
    for (let depth = 0; depth < 100_000; depth++) veryDeep = { name: "s", type: "struct", fields: [veryDeep] };
    expect(definitionError(single([veryDeep])).message).toMatch(/nested deeper than/);
    // 10 refs per level, 6 levels: 10^6 fields after inlining
    const types: Record<string, FieldDefinition> = {};
    for (let level = 0; level < 6; level++) {
      types[`t${level}`] = { type: "struct", fields: Array.from({ length: 10 }, (_, index) => (level === 5 ? { name: `f${index}`, type: "u8" as const } : { name: `f${index}`, type: "ref" as const, ref: `t${level + 1}` })) };
    }
    expect(definitionError(single([{ name: "root", type: "ref", ref: "t0" }], { types })).message).toMatch(/more than 100000 fields/);
    let deepSelect: Record<string, unknown> = { message: "m" };
    for (let depth = 0; depth < 40; depth++) deepSelect = { on: "k", cases: [{ value: 1, select: deepSelect }] };
    expect(definitionError({ name: "t", body: { frameHeader: [{ name: "k", type: "u8" }], select: deepSelect }, messages: [{ name: "m", fields: [] }] }).message).toMatch(/deeper than/);
    let deepBody: Record<string, unknown> = { select: { message: "m" } };
    for (let depth = 0; depth < 40; depth++) deepBody = { switch: "k", cases: [], default: deepBody };
    expect(definitionError({ name: "t", header: [{ name: "k", type: "u8" }], body: deepBody, messages: [{ name: "m", fields: [] }] }).message).toMatch(/deeper than/);
  });

  it("huge declared counts are limited at validation or at decode time", () => {
    const maybeEmpty = { type: "struct", fields: [{ name: "x", type: "u8", when: { field: "f" } }] };
    expect(definitionError(single([{ name: "f", type: "u8" }, { name: "a", type: "array", count: 10_000_000, of: maybeEmpty }])).message).toMatch(/fixed count above/);
    const protocol = compileProtocol(single([{ name: "a", type: "array", count: 4_000_000_000, of: { type: "u32" } }]));
    expect(protocol.decodeDatagramFields(new Uint8Array(100)).anomalies[0].code).toBe("E_TRUNCATED");
  });
});

describe("summarizeProtocol", () => {
  it("lists messages with their roles (for `tickscope protocol check`)", () => {
    const summary = summarizeProtocol(loadExample("arena"));
    expect(summary.name).toBe("arena");
    expect(summary.headerRoles.map((role) => role.role)).toEqual(["sequence", "ack", "ackBits", "sendTime"]);
    expect(summary.messages.map((message) => message.name)).toEqual(["input", "snapshot", "spawn", "death", "chat", "ping", "pong", "shot", "stateReset"]);
    const snapshot = summary.messages.find((message) => message.name === "snapshot")!;
    expect(snapshot.roles).toContainEqual({ role: "entities[].position.x", field: "snapshot.entities[].x" });
    expect(summary.messages[0].roles).toContainEqual({ role: "inputCount", field: "inputs" });
    const text = formatProtocolSummary(summary);
    expect(text).toMatch(/^protocol arena 1.0.0: 9 message types/);
    expect(text).toMatch(/ping \(unreliable\): 3 fields; roles: messageType=frame.messageType, echoId=ping.pingId/);
    const firefall = formatProtocolSummary(summarizeProtocol(loadExample("firefall")));
    expect(firefall).toMatch(/xor keyed by resendCount \(per frame\)/);
    expect(formatProtocolSummary(summarizeProtocol(loadExample("netcode")))).toMatch(/chacha20-poly1305 \(key name netcode\)/);
    const minimal: ProtocolDefinition = { name: "x", body: { select: { message: "m" } }, messages: [{ name: "m", fields: [{ name: "s", type: "switch", on: "s0", cases: [] }] }] };
    expect(() => summarizeProtocol(minimal)).toThrow(/not an earlier field/);
  });
});
