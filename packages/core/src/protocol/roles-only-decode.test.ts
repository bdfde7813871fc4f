import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GameMessage } from "../game-message.js";
import { datagramVariants, decodeAll, testContext } from "../test-support/protocols.js";
import { decoderSource } from "./codegen.js";
import { compileProtocol, type ProtocolDefinition } from "./index.js";
import type { MessagePlan } from "./plan.js";
import { rolesOnlyHints } from "./roles-only-decode.js";
import { planProtocolDefinition } from "./validate.js";

/**
 * A roles-only decoder (`fields: "roles"`) must give exactly the full decoder's
 * roles (values, key order, entity shapes), message types, sizes and anomalies
 * (codes, paths, details, order) on every datagram: valid, truncated at every
 * byte, corrupted, or a view inside a larger buffer (windows past the view's
 * end). Only `message.fields` differs, for the arrays its hints name.
 */
const definition: ProtocolDefinition = {
  name: "rolesOnly",
  header: [
    { name: "sequence", type: "u16", role: "sequence" },
    { name: "clockUs", type: "uint", bits: 48, role: "sendTime", unit: "us" },
  ],
  body: {
    repeat: "untilEnd",
    frameHeader: [{ name: "kind", type: "u8" }],
    select: {
      on: "kind",
      cases: [
        { value: 1, message: "state" },
        { value: 2, message: "input" },
        { value: 3, message: "marks" },
      ],
    },
  },
  messages: [
    {
      name: "state",
      fields: [
        { name: "tick", type: "u32", role: "tick" },
        {
          name: "things",
          type: "array",
          count: { prefix: "u8" },
          maxCount: 40,
          of: {
            type: "struct",
            fields: [
              { name: "id", type: "uint", bits: 13, role: "entityId" },
              { name: "x", type: "quantized", min: -100, max: 100, bits: 17, role: "position.x" },
              { name: "alive", type: "bool", bits: 1 },
              { name: "yaw", type: "quantized", min: 0, max: 6.25, bits: 10, role: "rotation" },
              { name: "pitch", type: "quantized", min: -2, max: 2, bits: 9, role: "rotation" },
              { name: "health", type: "u8", min: 5, max: 100 },
              { name: "speed", type: "quantized", min: -8, max: 8, bits: 25, role: "velocity.y" },
              { name: "flags", type: "uint", bits: 3, role: "position.z" },
            ],
          },
        },
      ],
    },
    {
      name: "input",
      fields: [
        { name: "inputSequence", type: "u32", role: "inputSequence" },
        {
          name: "frames",
          type: "array",
          count: { prefix: "u8" },
          maxCount: 16,
          role: "inputCount",
          of: { type: "struct", fields: [{ name: "moveX", type: "quantized", min: -1, max: 1, bits: 7 }, { name: "buttons", type: "uint", bits: 5 }] },
        },
        { name: "spare", type: "array", count: 2, of: { type: "struct", fields: [{ name: "a", type: "u8" }, { name: "b", type: "uint", bits: 4 }] } },
        { name: "checked", type: "array", count: { prefix: "u8" }, maxCount: 8, of: { type: "struct", fields: [{ name: "level", type: "u8", max: 9 }] } },
      ],
    },
    {
      name: "marks",
      fields: [{ name: "text", type: "string", encoding: "utf8", length: { prefix: "u8" }, maxLength: 20 }],
    },
  ],
};

/** What a consumer of roles sees: everything but `fields`, key order made visible. */
function rolesView(message: GameMessage): unknown {
  const entities = message.roles.entities;
  return {
    type: message.type,
    byteLength: message.byteLength,
    indexInPacket: message.indexInPacket,
    keys: Object.keys(message.roles),
    roles: message.roles,
    entityKeys: entities?.map((entity) => Object.keys(entity)),
  };
}

function messagePlan(name: string, source: ProtocolDefinition = definition): MessagePlan {
  return planProtocolDefinition(source).messages.find((message) => message.name === name)!;
}

describe("roles-only decode", () => {
  const full = compileProtocol(definition);
  const rolesOnly = compileProtocol(definition, { fields: "roles" });

  it("skips arrays no role reads, decodes entity arrays straight into roles and leaves the rest alone", () => {
    const hints = rolesOnlyHints(messagePlan("input"))!;
    // `frames` feeds only inputCount; `spare` is read by nothing; `checked` has a constraint (its values are checked).
    expect([...hints.skipped]).toEqual(["frames", "spare"]);
    expect(hints.entities.size).toBe(0);
    const state = rolesOnlyHints(messagePlan("state"))!;
    expect([...state.entities.keys()]).toEqual(["things"]);
    expect(rolesOnlyHints(messagePlan("marks"))).toBeUndefined();
    const source = decoderSource(messagePlan("state").fields, 1, state).source;
    // No element record on the window path; the entity object is built from the window reads.
    expect(source).not.toMatch(/const o2 = \{"id": v/);
    expect(source).toMatch(/push\(\{ entityId: v\d+, position: \{ x: v\d+, y: 0, z: v\d+ \}, velocity: \{ x: 0, y: v\d+, z: 0 \}, rotation: \[v\d+, v\d+\] \}\)/);
  });

  it("holds the element count and the entity roles in fields, and the same roles as the full decoder", () => {
    const bytes = full.encodeDatagram(
      [
        { type: "input", fields: { inputSequence: 9, frames: [{ moveX: 0.5, buttons: 3 }, { moveX: -1, buttons: 0 }, { moveX: 0, buttons: 31 }], spare: [{ a: 1, b: 2 }, { a: 3, b: 4 }], checked: [{ level: 3 }, { level: 12 }] } },
        { type: "state", fields: { tick: 77, things: [{ id: 5, x: 12.5, alive: true, yaw: 1, pitch: -1, health: 50, speed: 2, flags: 1 }] } },
      ],
      { header: { sequence: 4, clockUs: 1000 } },
    );
    const a = decodeAll(full, bytes);
    const b = decodeAll(rolesOnly, bytes);
    expect(b.messages.map(rolesView)).toEqual(a.messages.map(rolesView));
    expect(b.anomalies).toEqual(a.anomalies);
    expect(a.anomalies.map((anomaly) => anomaly.fieldPath)).toEqual(["input.checked[].level"]);
    expect(b.messages[0]!.roles.inputCount).toBe(3);
    expect(b.messages[0]!.fields).toMatchObject({ inputSequence: 9, frames: 3, spare: 2, checked: [{ level: 3 }, { level: 12 }] });
    expect(a.messages[0]!.fields.frames).toHaveLength(3);
    expect(b.messages[1]!.fields.things).toBe(b.messages[1]!.roles.entities);
    expect(b.messages[1]!.roles.entities).toEqual([{ entityId: 5, position: { x: expect.closeTo(12.5, 2), y: 0, z: 1 }, velocity: { x: 0, y: expect.closeTo(2, 5), z: 0 }, rotation: [expect.closeTo(1, 1), expect.closeTo(-1, 1)] }]);
  });

  /** Random datagrams of the definition's three messages, with their header values and byte corruptions. */
  function datagramArbitrary() {
    const thing = fc.record({
      id: fc.integer({ min: 0, max: 8191 }),
      x: fc.double({ min: -100, max: 100, noNaN: true }),
      alive: fc.boolean(),
      yaw: fc.double({ min: 0, max: 6.25, noNaN: true }),
      pitch: fc.double({ min: -2, max: 2, noNaN: true }),
      // 0..255: below min, in range and above max all occur (constraint anomalies, in field order)
      health: fc.integer({ min: 0, max: 255 }),
      speed: fc.double({ min: -8, max: 8, noNaN: true }),
      flags: fc.integer({ min: 0, max: 7 }),
    });
    const frame = fc.record({ moveX: fc.double({ min: -1, max: 1, noNaN: true }), buttons: fc.integer({ min: 0, max: 31 }) });
    const spare = fc.record({ a: fc.integer({ min: 0, max: 255 }), b: fc.integer({ min: 0, max: 15 }) });
    const state = fc.record({ type: fc.constant("state"), fields: fc.record({ tick: fc.nat(), things: fc.array(thing, { maxLength: 12 }) }) });
    const input = fc.record({
      type: fc.constant("input"),
      fields: fc.record({
        inputSequence: fc.nat(),
        frames: fc.array(frame, { maxLength: 16 }),
        spare: fc.tuple(spare, spare),
        checked: fc.array(fc.record({ level: fc.integer({ min: 0, max: 255 }) }), { maxLength: 8 }),
      }),
    });
    const marks = fc.record({ type: fc.constant("marks"), fields: fc.record({ text: fc.string({ maxLength: 8 }) }) });
    return [
      fc.array(fc.oneof(state, input, marks), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 0, max: 65535 }),
      fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      fc.array(fc.nat(), { maxLength: 4 }),
    ] as const;
  }

  it("decodes random datagrams, every truncation and corrupted bytes into the full decoder's roles and anomalies (property)", () => {
    fc.assert(
      fc.property(
        ...datagramArbitrary(),
        (messages, sequence, clockUs, corruptions) => {
          const bytes = full.encodeDatagram(messages, { header: { sequence, clockUs } });
          expect(decodeAll(full, bytes).messages).toHaveLength(messages.length);
          for (const payload of datagramVariants(bytes, corruptions)) {
            const a = decodeAll(full, payload);
            const b = decodeAll(rolesOnly, payload);
            expect(b.anomalies).toEqual(a.anomalies);
            expect(b.messages.map(rolesView)).toEqual(a.messages.map(rolesView));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("rewrites one pool of entity roles in place with entityRoles: reused — the full decoder's values during every call (property) — and never in decodeDatagramFields", () => {
    const reused = compileProtocol(definition, { fields: "roles", entityRoles: "reused" });
    expect(rolesOnlyHints(messagePlan("state"))!.reuseEntities).toBeUndefined();
    // What each message shows while its onMessage runs (copied then: the pool is rewritten by the next message).
    const during = (protocol: typeof full, payload: Uint8Array) => {
      const seen: unknown[] = [];
      const anomalies: unknown[] = [];
      protocol.decodeDatagram(payload, testContext(), (message) => seen.push(structuredClone(rolesView(message))), (anomaly) => anomalies.push(anomaly));
      return { seen, anomalies };
    };
    fc.assert(
      fc.property(...datagramArbitrary(), (messages, sequence, clockUs, corruptions) => {
        const bytes = full.encodeDatagram(messages, { header: { sequence, clockUs } });
        for (const payload of datagramVariants(bytes, corruptions)) expect(during(reused, payload)).toEqual(during(full, payload));
      }),
      { numRuns: 150 },
    );
    const thing = (id: number) => ({ id, x: id, alive: true, yaw: 1, pitch: 0, health: 50, speed: 1, flags: 2 });
    const first = full.encodeDatagram([{ type: "state", fields: { tick: 1, things: [thing(1), thing(2), thing(3)] } }], { header: { sequence: 1, clockUs: 5 } });
    const second = full.encodeDatagram([{ type: "state", fields: { tick: 2, things: [thing(7)] } }], { header: { sequence: 2, clockUs: 6 } });
    const a = decodeAll(reused, first).messages[0]!.roles.entities!;
    const firstEntity = a[0];
    const b = decodeAll(reused, second).messages[0]!.roles.entities!;
    // The same list and entity objects, rewritten: one entity now, the second datagram's.
    expect(b).toBe(a);
    expect(b[0]).toBe(firstEntity);
    expect(b).toHaveLength(1);
    expect(b[0]!.entityId).toBe(7);
    // decodeDatagramFields keeps its results: fresh entity roles for every message.
    const kept = reused.decodeDatagramFields(first).messages[0]!.roles.entities!;
    expect(kept).not.toBe(a);
    expect(kept.map((entity) => entity.entityId)).toEqual([1, 2, 3]);
    expect(reused.decodeDatagramFields(second).messages[0]!.roles.entities![0]).not.toBe(kept[0]);
    // Without the option nothing is shared.
    expect(decodeAll(rolesOnly, second).messages[0]!.roles.entities).not.toBe(decodeAll(rolesOnly, second).messages[0]!.roles.entities);
  });

  it("gives the reference shooter's roles on random snapshots and inputs", () => {
    const arena = JSON.parse(readFileSync(new URL("../../../../examples/protocols/arena.json", import.meta.url), "utf8")) as ProtocolDefinition;
    const arenaFull = compileProtocol(arena);
    const arenaRoles = compileProtocol(arena, { fields: "roles" });
    expect([...rolesOnlyHints(messagePlan("input", arena))!.skipped]).toEqual(["inputs"]);
    // entityState's health has a maximum: its values are still read and checked.
    expect([...rolesOnlyHints(messagePlan("snapshot", arena))!.entities.keys()]).toEqual(["entities"]);
    const header = { protocolId: 0x41524d41, sequence: 1, ack: 0, ackBits: 0, sendTimeUs: 123456 };
    const entity = (index: number) => ({ entityId: index, x: index * 3.5, y: -index, z: 0.25, yaw: 1.5, velocityX: 1, velocityY: -2, velocityZ: 0, health: index * 30 });
    const frame = { moveX: 0.5, moveY: -0.5, aimYaw: 3, aimPitch: 0.1, buttons: 7 };
    const bytes = arenaFull.encodeDatagram(
      [
        { type: "snapshot", fields: { tick: 10, lastProcessedInputSequence: 4, entities: [0, 1, 2, 3, 4].map(entity) } },
        { type: "input", fields: { inputSequence: 5, reportedRttMs: 40, inputs: [frame, frame, frame] } },
      ],
      { header },
    );
    for (let cut = 0; cut <= bytes.length; cut++) {
      const payload = bytes.subarray(0, cut);
      const a = decodeAll(arenaFull, payload);
      const b = decodeAll(arenaRoles, payload);
      expect(b.anomalies).toEqual(a.anomalies);
      expect(b.messages.map(rolesView)).toEqual(a.messages.map(rolesView));
    }
    // health 120 is over its maximum of 100: one anomaly, from both decoders.
    expect(decodeAll(arenaRoles, bytes).anomalies.map((anomaly) => anomaly.detail)).toEqual(["120 > max 100"]);
  });

  it("gives no hints where a plugin, an untilEnd array, a conditional element or a nested entity path is involved", () => {
    const other: ProtocolDefinition = {
      name: "noHints",
      header: [],
      body: { repeat: "once", frameHeader: [{ name: "kind", type: "u8" }], select: { on: "kind", cases: [{ value: 1, message: "rest" }, { value: 2, message: "nested" }, { value: 3, message: "elements" }] } },
      messages: [
        { name: "rest", fields: [{ name: "items", type: "array", count: "untilEnd", of: { type: "struct", fields: [{ name: "a", type: "u8" }] } }] },
        {
          name: "nested",
          fields: [
            { name: "n", type: "u8" },
            { name: "when", type: "array", count: { field: "n" }, of: { type: "struct", fields: [{ name: "a", type: "u8" }, { name: "b", type: "u8", when: { field: "a", equals: 1 } }] } },
            { name: "pair", type: "array", count: 1, of: { type: "struct", fields: [{ name: "id", type: "u8", role: "entityId" }, { name: "p", type: "struct", fields: [{ name: "x", type: "u8", role: "position.x" }] }] } },
          ],
        },
        {
          name: "elements",
          fields: [{ name: "inputs", type: "array", count: 2, order: "newestFirst", of: { type: "struct", fields: [{ name: "seq", type: "u16", role: "inputSequence" }] } }],
        },
      ],
    } as ProtocolDefinition;
    expect(rolesOnlyHints(messagePlan("rest", other))).toBeUndefined();
    expect(rolesOnlyHints(messagePlan("nested", other))).toBeUndefined();
    expect(rolesOnlyHints(messagePlan("elements", other))).toBeUndefined();
    const plugin = messagePlan("rest", other);
    const withPlugin = { ...plugin, fields: [...plugin.fields, { ...plugin.fields[0]!, name: "p", node: { kind: "plugin", name: "x", config: undefined } }] } as unknown as MessagePlan;
    expect(rolesOnlyHints(withPlugin)).toBeUndefined();
  });

  it("chooses per datagram with a function: full fields where it says so, roles only elsewhere, the same roles everywhere", () => {
    const asked: number[] = [];
    const chosen = compileProtocol(definition, {
      fields: (context) => {
        asked.push(context.tUs);
        return context.tUs % 2 === 0;
      },
    });
    const bytes = full.encodeDatagram(
      [
        { type: "input", fields: { inputSequence: 2, frames: [{ moveX: 0, buttons: 1 }, { moveX: 1, buttons: 2 }], spare: [{ a: 1, b: 1 }, { a: 2, b: 2 }], checked: [] } },
        { type: "state", fields: { tick: 3, things: [{ id: 1, x: 0, alive: false, yaw: 0, pitch: 0, health: 50, speed: 0, flags: 0 }] } },
      ],
      { header: { sequence: 1, clockUs: 1 } },
    );
    const context = (tUs: number) => ({ sessionId: "s", direction: "clientToServer" as const, tUs, packetIndex: 0, packetWireLength: bytes.length });
    const wanted = decodeAll(chosen, bytes, context(10));
    const declined = decodeAll(chosen, bytes, context(11));
    expect(asked).toEqual([10, 11]);
    expect(wanted.messages[0]!.fields.frames).toHaveLength(2);
    expect(declined.messages[0]!.fields.frames).toBe(2);
    expect(declined.messages[1]!.fields.things).toBe(declined.messages[1]!.roles.entities);
    expect(declined.messages.map(rolesView)).toEqual(wanted.messages.map(rolesView));
    expect(wanted.messages.map(rolesView)).toEqual(decodeAll(full, bytes, context(10)).messages.map(rolesView));
    // The interpreter (no generated decoders) decodes every datagram's fields.
    const interpreted = compileProtocol(definition, { mode: "interpreted", fields: () => false });
    expect(decodeAll(interpreted, bytes, context(11)).messages[0]!.fields.frames).toHaveLength(2);
  });

  it("decodes everything in interpreted mode, where the option has no effect", () => {
    const interpreted = compileProtocol(definition, { mode: "interpreted", fields: "roles" });
    const bytes = full.encodeDatagram([{ type: "input", fields: { inputSequence: 1, frames: [{ moveX: 0, buttons: 1 }], spare: [{ a: 1, b: 1 }, { a: 2, b: 2 }], checked: [] } }], { header: { sequence: 1, clockUs: 1 } });
    const message = decodeAll(interpreted, bytes).messages[0]!;
    expect(message.fields.frames).toHaveLength(1);
    expect(rolesView(message)).toEqual(rolesView(decodeAll(rolesOnly, bytes).messages[0]!));
  });
});
