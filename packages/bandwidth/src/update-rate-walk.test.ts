import type { FieldRecord, FieldValue } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { flattenNumbers, pathOfFlatKey } from "./field-values.js";
import { LayoutReencoder } from "./layout-reencoder.js";
import type { Reencoder } from "./reencoder.js";
import type { RetainedMessage } from "./trace.js";
import { measureInterpolationError, type InterpolationError } from "./update-rate.js";

/** The flattened-map measurement the side-by-side walk replaced (reference: same streams, every leaf matched by flat key). */
function referenceError(messages: readonly RetainedMessage[], every: number, reencoder: Reencoder | undefined): InterpolationError {
  const streams = new Map<string, RetainedMessage[]>();
  for (const message of messages) {
    const key = `${message.sessionId}\u0000${message.direction}\u0000${message.type}`;
    const list = streams.get(key) ?? [];
    streams.set(key, list);
    if (list.length < 200) list.push(message);
  }
  let maxError = 0;
  let worstPath = "";
  let measured = 0;
  const intervals: number[] = [];
  for (const key of [...streams.keys()].sort()) {
    const list = streams.get(key)!;
    for (let index = 1; index < list.length; index++) intervals.push(list[index]!.tUs - list[index - 1]!.tUs);
    for (let start = 0; start + every < list.length; start += every) {
      const first = list[start]!;
      const last = list[start + every]!;
      const keyFields = new Map<string, string>();
      for (const array of reencoder?.entityArrays(first.type) ?? []) if (array.keyField !== undefined) keyFields.set(array.field, array.keyField);
      const leaves = reencoder?.leaves(first.type);
      const floats = leaves === undefined ? undefined : new Set(leaves.filter((leaf) => leaf.kind === "float32" || leaf.kind === "float64" || leaf.kind === "quantized").map((leaf) => leaf.path));
      const before = new Map<string, number>();
      const after = new Map<string, number>();
      flattenNumbers(first.fields, "", keyFields, before);
      flattenNumbers(last.fields, "", keyFields, after);
      for (let index = start + 1; index < start + every; index++) {
        const dropped = list[index]!;
        const span = last.tUs - first.tUs;
        const weight = span > 0 ? (dropped.tUs - first.tUs) / span : 0;
        const actual = new Map<string, number>();
        flattenNumbers(dropped.fields, "", keyFields, actual);
        for (const [flatKey, value] of actual) {
          const a = before.get(flatKey);
          const b = after.get(flatKey);
          if (a === undefined || b === undefined) continue;
          if (floats !== undefined ? !floats.has(pathOfFlatKey(flatKey)) : Number.isInteger(a) && Number.isInteger(b) && Number.isInteger(value)) continue;
          const error = Math.abs(a + (b - a) * weight - value);
          if (error > maxError) {
            maxError = error;
            worstPath = pathOfFlatKey(flatKey);
          }
        }
        measured += 1;
      }
    }
  }
  intervals.sort((a, b) => a - b);
  return { every, maxError, worstPath, measuredMessages: measured, medianIntervalUs: intervals.length === 0 ? 0 : intervals[Math.floor((intervals.length - 1) / 2)]! };
}

const reencoder = new LayoutReencoder([
  {
    type: "obj",
    typeId: 1,
    typeIdBits: 8,
    fields: [
      { name: "pos", type: { kind: "struct", fields: [{ name: "x", type: { kind: "float64" } }, { name: "y", type: { kind: "float32" } }] } },
      { name: "counter", type: { kind: "uint", bits: 16 } },
      {
        name: "items",
        type: {
          kind: "array",
          countBits: 4,
          keyField: "id",
          element: {
            kind: "struct",
            fields: [
              { name: "id", type: { kind: "uint", bits: 8 } },
              { name: "v", type: { kind: "float64" } },
              { name: "parts", type: { kind: "array", countBits: 3, element: { kind: "float64" } } },
            ],
          },
        },
      },
    ],
  },
]);

/** Deterministic pseudo-random numbers (xorshift). */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** A message whose shape mostly stays and sometimes changes: keyed entities joining, leaving, reordering, repeating, awkward keys and names. */
function messageAt(next: () => number, index: number): RetainedMessage {
  const pick = (): number => next();
  const ids = [1, 2, 3, 4, 5].filter(() => pick() < 0.8);
  if (pick() < 0.1) ids.reverse();
  if (pick() < 0.05 && ids.length > 0) ids.push(ids[0]!);
  const items: FieldValue[] = ids.map((id) => ({ id: pick() < 0.03 ? `${id}/x` : pick() < 0.02 ? "" : id, v: index * id + pick(), parts: [pick(), pick() * index].slice(0, 1 + Math.floor(pick() * 2)) }));
  if (pick() < 0.03) items.push(7);
  const fields: Record<string, FieldValue> = {
    pos: pick() < 0.05 ? 3 : { x: index * index * pick(), y: pick() < 0.05 ? null : index + 0.25 },
    counter: index,
    items: pick() < 0.03 ? { id: 1 } : items,
  };
  if (pick() < 0.05) fields["pos.x"] = pick() * 100;
  if (pick() < 0.05) fields["odd#name"] = pick();
  if (pick() < 0.04) fields.blob = new Uint8Array([1, 2]);
  if (pick() < 0.1) fields.grid = [[pick(), 2], [index + 0.5]];
  return {
    sessionId: pick() < 0.2 ? "b" : "a",
    direction: "serverToClient",
    tUs: index * 1000 + Math.floor(pick() * 400),
    packetIndex: index,
    type: "obj",
    byteLength: 10,
    fields: fields as FieldRecord,
    roles: { position: { x: 0, y: 0, z: 0 } },
  };
}

describe("interpolation error walked side by side", () => {
  it("equals the flattened-map measurement on random traces, with and without a layout", () => {
    for (let seed = 1; seed <= 80; seed++) {
      const next = random(seed * 7919);
      const messages = Array.from({ length: 30 + Math.floor(next() * 40) }, (_, index) => messageAt(next, index));
      for (const every of [2, 3, 4, 6]) {
        expect(measureInterpolationError(messages, ["obj"], every, reencoder)).toEqual(referenceError(messages, every, reencoder));
        expect(measureInterpolationError(messages, ["obj"], every, undefined)).toEqual(referenceError(messages, every, undefined));
      }
    }
  });

  it("matches keyed entities by key, not by index, when they reorder", () => {
    const at = (t: number, items: FieldValue[]): RetainedMessage => ({ ...messageAt(random(1), t), sessionId: "a", tUs: t * 1000, fields: { items } as FieldRecord });
    const messages = [at(0, [{ id: 1, v: 0 }, { id: 2, v: 100 }]), at(1, [{ id: 2, v: 100 }, { id: 1, v: 1 }]), at(2, [{ id: 1, v: 2 }, { id: 2, v: 100 }])];
    // By index the dropped message would compare 100 with 1 (error 99); by key both entities interpolate exactly.
    expect(measureInterpolationError(messages, ["obj"], 2, reencoder)).toMatchObject({ maxError: 0, measuredMessages: 1 });
  });

  it("matches a repeated entity key to its last element, as the maps do", () => {
    const at = (t: number, items: FieldValue[]): RetainedMessage => ({ ...messageAt(random(1), t), sessionId: "a", tUs: t * 1000, fields: { items } as FieldRecord });
    const messages = [at(0, [{ id: 1, v: 0 }, { id: 1, v: 10 }]), at(1, [{ id: 1, v: 50 }, { id: 1, v: 5 }]), at(2, [{ id: 1, v: 2 }, { id: 1, v: 12 }])];
    // Key 1 holds 10, 5, 12: interpolated 11 vs 5 (the first elements, 1 vs 50, are overwritten in the maps).
    expect(measureInterpolationError(messages, ["obj"], 2, reencoder)).toMatchObject({ maxError: 6, worstPath: "items[].v" });
    expect(measureInterpolationError(messages, ["obj"], 2, reencoder)).toEqual(referenceError(messages, 2, reencoder));
  });

  it("does not mistake a dotted name for a nested path", () => {
    const at = (t: number, fields: Record<string, FieldValue>): RetainedMessage => ({ ...messageAt(random(1), t), sessionId: "a", tUs: t * 1000, fields: fields as FieldRecord });
    // The maps key both "pos.x" spellings alike: the dropped nested x is interpolated from the dotted names.
    const messages = [at(0, { "pos.x": 0 }), at(1, { pos: { x: 5 } }), at(2, { "pos.x": 2 })];
    expect(measureInterpolationError(messages, ["obj"], 2, reencoder)).toEqual(referenceError(messages, 2, reencoder));
    expect(measureInterpolationError(messages, ["obj"], 2, reencoder).maxError).toBe(4);
  });

  it("walks records by names that need quoting, an own __proto__ key and wide shapes as the maps match them", () => {
    const at = (t: number, fields: Record<string, FieldValue>): RetainedMessage => ({ ...messageAt(random(1), t), sessionId: "a", tUs: t * 1000, fields: fields as FieldRecord });
    const odd = (t: number): Record<string, FieldValue> => {
      const record = JSON.parse(`{"__proto__": ${t * 0.5}}`) as Record<string, FieldValue>;
      record['say "hi"'] = t * t * 0.25;
      record["back\\slash"] = t * 1.5;
      record["line\u2028break"] = (t % 3) * 0.75;
      record["${x}"] = -t * 0.125;
      return record;
    };
    const wide = (t: number): Record<string, FieldValue> => Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`f${index}`, ((t * (index + 1)) % 17) * 0.5]));
    const messages: RetainedMessage[] = [];
    for (let t = 0; t < 30; t++) messages.push(at(t, { odd: odd(t), wide: wide(t), again: odd(t + 1) }));
    const oddOnly = messages.map((message, t) => ({ ...message, fields: { odd: odd(t) } as FieldRecord }));
    for (const every of [2, 3]) {
      // Without a layout every non-integer leaf is interpolated (the names are no layout's).
      for (const trace of [messages, oddOnly]) {
        const measured = measureInterpolationError(trace, ["obj"], every, undefined);
        expect(measured).toEqual(referenceError(trace, every, undefined));
        expect(measured.maxError).toBeGreaterThan(0);
      }
    }
    // The worst leaf of the quoted names is found under its own path (not its neighbour's).
    expect(measureInterpolationError(oddOnly, ["obj"], 3, undefined).worstPath).toBe("odd.line\u2028break");
  });

  it("reuses a path's record shape only for the same own keys in the same order (reordered keys, inherited and polluted keys)", () => {
    const at = (t: number, items: FieldValue[]): RetainedMessage => ({ ...messageAt(random(1), t), sessionId: "a", tUs: t * 1000, fields: { items } as FieldRecord });
    const inheriting = (id: number, v: number): FieldValue => Object.assign(Object.create({ v: 1000, parts: [1e9] }) as Record<string, FieldValue>, { id, v }) as FieldValue;
    const messages: RetainedMessage[] = [];
    for (let t = 0; t < 40; t++) {
      const plain = { id: 1, v: t * t, parts: [t] };
      const second = { id: 2, v: t * 3, parts: [t * t] };
      const reordered = { v: t * 3, parts: [t * t], id: 2 };
      // inherited keys only in dropped messages (odd t; a kept one's inherited values the walk reads by name, unlike the maps)
      messages.push(at(t, t % 10 === 3 ? [inheriting(1, t), second] : t % 7 === 4 ? [reordered, plain] : [plain, second]));
    }
    for (const every of [2]) expect(measureInterpolationError(messages, ["obj"], every, reencoder)).toEqual(referenceError(messages, every, reencoder));
    // An enumerable key on Object.prototype shows up in every for…in (no record then has a shape's keys alone).
    Object.defineProperty(Object.prototype, "polluted", { value: 1, enumerable: true, configurable: true, writable: true });
    try {
      for (const every of [2]) expect(measureInterpolationError(messages, ["obj"], every, reencoder)).toEqual(referenceError(messages, every, reencoder));
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });
});

