import { describe, expect, it } from "vitest";
import type { FieldRecord, FieldValue } from "@tickscope/core";
import { LayoutReencoder, type MessageLayout, type WireField, type WireType } from "./layout-reencoder.js";
import { asArray, asStruct, bytesLength, keyIndex, keyOf, leafBits, lookupKey, sameOriginal, type Struct } from "./layout-values.js";
import type { LeafVisitor, Reencoder } from "./reencoder.js";
import { BandwidthAccounting } from "./accounting.js";
import { deriveQuantization, observeRanges, RangeObserver } from "./quantization.js";
import { dequantizeValue, quantizeValue } from "./layout-reencoder.js";
import type { QuantizationSpec } from "./reencoder.js";
import type { RetainedMessage } from "./trace.js";

// The compiled leaf walk (layout-leaf-visitor.ts) against the plain walk over wire types it replaced,
// and the visitors that keep per-leaf state by leaf index against the same visitors keyed by path.

const entity: WireType = {
  kind: "struct",
  fields: [
    { name: "id", type: { kind: "uint", bits: 8 } },
    { name: "x", type: { kind: "quantized", min: -100, max: 100, bits: 12 } },
    { name: "yaw", type: { kind: "float32" } },
    { name: "pos", type: { kind: "struct", fields: [{ name: "z", type: { kind: "float64" } }] } },
  ],
};

const layouts: MessageLayout[] = [
  {
    type: "state",
    typeId: 1,
    typeIdBits: 4,
    fields: [
      { name: "tick", type: { kind: "uint", bits: 16 } },
      { name: "flags", type: { kind: "int", bits: 5 } },
      { name: "alive", type: { kind: "bool" } },
      { name: "name", type: { kind: "bytes", lengthBits: 4 } },
      { name: "big", type: { kind: "uint", bits: 60 } },
      { name: "entities", type: { kind: "array", countBits: 5, keyField: "id", element: entity } },
      { name: "plain", type: { kind: "array", countBits: 3, element: entity } },
      { name: "samples", type: { kind: "array", countBits: 3, element: { kind: "float32" } } },
    ],
  },
  { type: "other", typeId: 2, typeIdBits: 4, fields: [{ name: "seq", type: { kind: "uint", bits: 8 } }, { name: "x", type: { kind: "quantized", min: 0, max: 1, bits: 4 } }] },
];

/** The walk LayoutReencoder.visitLeaves did before it was compiled (reference). */
function referenceStruct(fields: readonly WireField[], prefix: string, value: Struct, previous: Struct | undefined, visitor: LeafVisitor): void {
  for (const field of fields) {
    const path = prefix === "" ? field.name : `${prefix}.${field.name}`;
    referenceValue(field.type, path, value[field.name], previous === undefined ? undefined : previous[field.name], visitor);
  }
}

function referenceValue(type: WireType, path: string, value: FieldValue | undefined, previous: FieldValue | undefined, visitor: LeafVisitor): void {
  if (type.kind === "struct") {
    const prior = previous !== undefined && previous !== null && typeof previous === "object" ? (previous as Struct) : undefined;
    referenceStruct(type.fields, path, asStruct(value, path), prior, visitor);
    return;
  }
  if (type.kind === "array") {
    const items = asArray(value, path);
    const priorItems = Array.isArray(previous) ? (previous as readonly FieldValue[]) : undefined;
    const byKey = priorItems !== undefined && type.keyField !== undefined ? keyIndex(priorItems, type.keyField) : undefined;
    for (let index = 0; index < items.length; index++) {
      const item = items[index];
      let prior: FieldValue | undefined;
      if (priorItems !== undefined) prior = byKey !== undefined ? lookupKey(byKey, keyOf(item, type.keyField!), index) : priorItems[index];
      referenceValue(type.element, `${path}[]`, item, prior, visitor);
    }
    return;
  }
  const bits = type.kind === "bytes" ? type.lengthBits + 8 * bytesLength(value) : leafBits(type);
  visitor(path, bits, previous === undefined || !sameOriginal(type, value, previous), value);
}

/** A seeded generator (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AWKWARD_NUMBERS = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, 1.5, -3, 100.0004, 100.0006, 99.99];

function randomState(next: () => number, odd: boolean): FieldRecord {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const number = (): number => (next() < 0.3 ? pick(AWKWARD_NUMBERS) : Math.round(next() * 200 - 100) / (next() < 0.5 ? 1 : 7));
  const entityValue = (id: number): FieldValue => {
    const record: Record<string, FieldValue> = { id, x: number(), yaw: number(), pos: { z: number() } };
    if (odd && next() < 0.05) record.x = "text";
    if (odd && next() < 0.05) delete record.pos;
    if (odd && next() < 0.05) return { x: 1, id, yaw: 2, pos: [] as FieldValue[] } as FieldValue;
    return record;
  };
  const ids = [...new Set(Array.from({ length: Math.floor(next() * 6) }, () => Math.floor(next() * 8)))];
  if (next() < 0.5) ids.sort((a, b) => a - b);
  const fields: Record<string, FieldValue> = {
    tick: Math.floor(next() * 5),
    flags: pick([-1, 0, 3, true, false, 2n] as FieldValue[]),
    alive: pick([true, false, 0, 1] as FieldValue[]),
    name: pick([new Uint8Array([1, 2]), new Uint8Array([1, 3]), "ab", "é", new Uint8Array()] as FieldValue[]),
    big: pick([2n ** 59n, 5n, 5] as FieldValue[]),
    entities: ids.map(entityValue),
    plain: ids.slice(0, 2).map(entityValue),
    samples: Array.from({ length: Math.floor(next() * 3) }, number),
  };
  if (odd && next() < 0.05) fields.entities = "none";
  if (odd && next() < 0.05) fields.plain = [1, 2] as FieldValue[];
  if (odd && next() < 0.05) delete fields.samples;
  return fields;
}

type Visit = [string, number, boolean, FieldValue | undefined, number | undefined];

function collect(walk: (visitor: LeafVisitor) => void): { visits: Visit[]; error: string | undefined } {
  const visits: Visit[] = [];
  try {
    walk((path, bits, changed, value, leafIndex) => visits.push([path, bits, changed, value, leafIndex]));
    return { visits, error: undefined };
  } catch (error) {
    return { visits, error: (error as Error).message };
  }
}

describe("compiled leaf visiting", () => {
  it("visits what the plain walk visits, in order, with the same errors, and gives each leaf its index", () => {
    const next = random(0x1eaf);
    let errors = 0;
    let changes = 0;
    for (let round = 0; round < 600; round++) {
      const reencoder = new LayoutReencoder(layouts);
      const leaves = reencoder.leaves("state")!;
      for (let step = 0; step < 4; step++) {
        const odd = round % 3 === 0;
        const fields = randomState(next, odd);
        const previous = next() < 0.2 ? undefined : randomState(next, odd);
        const compiled = collect((visitor) => reencoder.visitLeaves("state", fields, previous, visitor));
        const reference = collect((visitor) => referenceStruct(layouts[0]!.fields, "", fields, previous, visitor));
        expect(compiled.error).toBe(reference.error);
        expect(compiled.visits.map((visit) => visit.slice(0, 4))).toEqual(reference.visits.map((visit) => visit.slice(0, 4)));
        for (const [path, , changed, , leafIndex] of compiled.visits) {
          expect(leafIndex).toBe(leaves.findIndex((leaf) => leaf.path === path));
          if (changed) changes += 1;
        }
        if (compiled.error !== undefined) errors += 1;
      }
    }
    // The cases cover both outcomes.
    expect(errors).toBeGreaterThan(20);
    expect(changes).toBeGreaterThan(1000);
  });

  it("indexes leaves by the first leaf of their path (the type's own list)", () => {
    const reencoder = new LayoutReencoder(layouts);
    const indices = new Map<string, number>();
    reencoder.visitLeaves("other", { seq: 1, x: 0.5 }, undefined, (path, _bits, _changed, _value, leafIndex) => indices.set(path, leafIndex!));
    expect([...indices]).toEqual([
      ["seq", 0],
      ["x", 1],
    ]);
  });
});

/** The same re-encoder without leaf indices (visitors fall back to their path maps). */
function withoutIndices(reencoder: LayoutReencoder): Reencoder {
  return {
    messageTypes: () => reencoder.messageTypes(),
    leaves: (type) => reencoder.leaves(type),
    entityArrays: (type) => reencoder.entityArrays(type),
    visitLeaves: (type, fields, previous, visitor) => reencoder.visitLeaves(type, fields, previous, (path, bits, changed, value) => visitor(path, bits, changed, value)),
    encode: (type, fields, variant, baseline) => reencoder.encode(type, fields, variant, baseline),
    decode: (type, bytes, variant, baseline) => reencoder.decode(type, bytes, variant, baseline),
  };
}

function retained(next: () => number, count: number): RetainedMessage[] {
  const messages: RetainedMessage[] = [];
  const sent = new Map<string, number>();
  for (let index = 0; index < count; index++) {
    const other = next() < 0.3;
    const sessionId = `s${Math.floor(next() * 3)}`;
    const direction = next() < 0.5 ? "clientToServer" : "serverToClient";
    const type = other ? "other" : "state";
    const streamKey = `${sessionId}\u0000${direction}\u0000${type}`;
    const ordinal = sent.get(streamKey) ?? 0;
    sent.set(streamKey, ordinal + 1);
    // seq: two steps in three rise by one, none falls: a counter only when compared per stream
    const fields: FieldRecord = other ? { seq: Math.floor((ordinal * 2) / 3) % 256, x: next() } : { ...randomState(next, index % 17 === 0), tick: index % 65536 };
    messages.push({ sessionId, direction, tUs: index * 1000, packetIndex: index, type, byteLength: 20, fields, roles: {}, streamKey });
  }
  return messages;
}

describe("visitors keyed by leaf index", () => {
  it("count fields as they do by path", () => {
    const next = random(7);
    const messages = retained(next, 400);
    const reencoder = new LayoutReencoder(layouts);
    const counted = (candidate: Reencoder): unknown => {
      const accounting = new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, reencoder: candidate, maxChangeStreams: 100, countFieldsOnMessage: false });
      for (const message of messages) accounting.countFields(message, false);
      accounting.setFieldWindow(1e6);
      return accounting.byField();
    };
    const byIndex = counted(reencoder);
    expect((byIndex as unknown[]).length).toBeGreaterThan(10);
    expect(byIndex).toEqual(counted(withoutIndices(reencoder)));
  });

  it("observe ranges, counters and quantization errors as they do by path", () => {
    const next = random(11);
    const messages = retained(next, 400);
    const reencoder = new LayoutReencoder(layouts);
    const plain = withoutIndices(reencoder);
    const ranges = observeRanges(messages, reencoder);
    expect(ranges.ranges.size).toBeGreaterThan(5);
    expect([...ranges.counterPaths].sort()).toEqual(["seq", "tick"]);
    expect(ranges).toEqual(observeRanges(messages, plain));
    const tolerances = new Map([["x", 0.01]]);
    const plan = deriveQuantization(messages, reencoder, tolerances, 0.001);
    expect(plan.specs.size).toBeGreaterThan(2);
    expect(plan.maxError).toBeGreaterThan(0);
    expect(plan).toEqual(deriveQuantization(messages, plain, tolerances, 0.001));
    // the errors measured on the observed values equal those of a plain walk over the messages (Infinity values included)
    const walkedErrors = (specs: ReadonlyMap<string, QuantizationSpec>): Map<string, number> => {
      const errors = new Map<string, number>();
      for (const message of messages) {
        try {
          reencoder.visitLeaves(message.type, message.fields, undefined, (path, _bits, _changed, value) => {
            const spec = specs.get(path);
            const number = typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : undefined;
            if (spec === undefined || number === undefined) return;
            const error = Math.abs(dequantizeValue(quantizeValue(number, spec), spec) - number);
            if (error > (errors.get(path) ?? 0)) errors.set(path, error);
          });
        } catch {
          // not walkable: no values
        }
      }
      return errors;
    };
    const errorsOf = (quantized: typeof plan): Map<string, number> => new Map(quantized.leaves.filter((leaf) => leaf.maxError > 0).map((leaf) => [leaf.path, leaf.maxError]));
    expect(errorsOf(plan)).toEqual(walkedErrors(plan.specs));
    expect(plan.leaves.some((leaf) => leaf.maxError === Number.POSITIVE_INFINITY)).toBe(true);
    for (const scale of [2, 8]) {
      const scaled = deriveQuantization(messages, reencoder, tolerances, 0.001, scale, ranges);
      expect(errorsOf(scaled)).toEqual(walkedErrors(scaled.specs));
    }
  });

  it("observe the same ranges from countFields' walk (previous messages compared) as from their own", () => {
    const next = random(23);
    const messages = retained(next, 400);
    const reencoder = new LayoutReencoder(layouts);
    const accounting = new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, reencoder, maxChangeStreams: 100, countFieldsOnMessage: false });
    const observer = new RangeObserver(reencoder);
    for (const [index, message] of messages.entries()) {
      observer.begin(message);
      // every fifth message walked alone (as the warm-up messages are)
      if (index % 5 !== 0) accounting.countFields(message, false, observer.visit);
      else {
        try {
          reencoder.visitLeaves(message.type, message.fields, undefined, observer.visit);
        } catch {
          // as the analyzer: a message the re-encoder cannot walk is an encode failure
        }
      }
    }
    const fused = observer.result();
    expect([...fused.counterPaths].sort()).toEqual(["seq", "tick"]);
    expect(fused).toEqual(observeRanges(messages, reencoder));
  });
});
