import { describe, expect, it } from "vitest";
import type { FieldRecord } from "@tickscope/core";
import { BUILDER_AFTER_READS, FieldArena, type ArenaRange } from "./field-arena.js";

const ZERO: ArenaRange = { tagEnd: 0, valueEnd: 0, referenceEnd: 0 };

function readAll(arena: FieldArena, ranges: readonly ArenaRange[]): FieldRecord[] {
  return ranges.map((range, index) => arena.read(index === 0 ? ZERO : ranges[index - 1]!, range));
}

describe("FieldArena", () => {
  it("rebuilds every kind of field value equal to the stored tree, keys in their order, and counts its leaves", () => {
    const arena = new FieldArena();
    const bytes = new Uint8Array([1, 2, 3]);
    const tree: FieldRecord = {
      zero: -0,
      nan: Number.NaN,
      inf: Number.NEGATIVE_INFINITY,
      fraction: 0.1 + 0.2,
      big: 2n ** 70n,
      text: "\u0000odd",
      yes: true,
      no: false,
      none: null,
      missing: undefined as unknown as null,
      bytes,
      "2": "integer-like keys come first",
      list: [1, [2, [3]], { a: 1, b: [] }, []],
      nested: { inner: { deep: 7 }, empty: {} },
    };
    // number, number, number, number, big, text, yes, no, none, missing, bytes, "2" = 12; list 1, 2, 3, a = 4; deep = 1
    expect(arena.write(tree)).toBe(17);
    const [copy] = readAll(arena, [arena.end()]);
    expect(copy).toEqual(tree);
    expect(Object.keys(copy!)).toEqual(Object.keys(tree));
    expect(Object.is(copy!.zero, -0)).toBe(true);
    expect(copy!.bytes).not.toBe(bytes);
    bytes.fill(0);
    expect(copy!.bytes).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("keeps a subset in order (compact), drops the tail (truncate), grows past its first capacity and frees itself", () => {
    const arena = new FieldArena();
    const trees: FieldRecord[] = [];
    const ranges: ArenaRange[] = [];
    for (let index = 0; index < 20_000; index++) {
      const tree: FieldRecord = index % 3 === 0 ? { id: index, entities: [{ x: index / 3, y: -index }, { x: 1, y: 2 }] } : { id: index, name: `n${index}`, flag: index % 2 === 0 };
      trees.push(tree);
      arena.write(tree);
      ranges.push(arena.end());
    }
    expect(readAll(arena, ranges)).toEqual(trees);
    const kept = arena.compact(ranges, (index) => index % 7 === 0 || index % 3 === 1);
    const keptTrees = trees.filter((_, index) => index % 7 === 0 || index % 3 === 1);
    expect(kept).toBe(keptTrees.length);
    expect(ranges.length).toBe(kept);
    expect(readAll(arena, ranges)).toEqual(keptTrees);
    // Writing after a compaction appends after the kept trees.
    arena.write({ after: [true] });
    ranges.push(arena.end());
    expect(readAll(arena, ranges).at(-1)).toEqual({ after: [true] });
    ranges.pop();
    arena.truncate(ranges.at(-1)!);
    expect(arena.end()).toEqual(ranges.at(-1));
    expect(readAll(arena, ranges)).toEqual(keptTrees);
    arena.clear();
    expect(arena.end()).toEqual(ZERO);
    expect(arena.tagLength).toBe(0);
  });

  it("reads two trees stored one after the other (a message's fields, then its roles)", () => {
    const arena = new FieldArena();
    arena.write({ a: 1 });
    expect(arena.write({ sequence: 2n ** 64n, position: { x: 1, y: -0, z: 3 }, entities: [] })).toBe(4);
    const end = arena.end();
    expect(arena.readPair(ZERO, end)).toEqual([{ a: 1 }, { sequence: 2n ** 64n, position: { x: 1, y: -0, z: 3 }, entities: [] }]);
    arena.write({ b: 2 });
    expect(() => arena.readPair(ZERO, arena.end())).toThrow(/two trees/);
  });

  it("refuses a range that does not hold exactly one tree", () => {
    const arena = new FieldArena();
    arena.write({ a: 1 });
    const first = arena.end();
    arena.write({ b: 2 });
    expect(() => arena.read(ZERO, arena.end())).toThrow(/one tree/);
    expect(() => arena.read(first, { tagEnd: first.tagEnd, valueEnd: first.valueEnd, referenceEnd: first.referenceEnd })).toThrow(/unknown tag|one tree/);
  });

  it("builds records of awkward shapes with the keys, order, values and prototype of key-by-key assignment", () => {
    const keyByKey = (entries: [string, unknown][]): Record<string, unknown> => {
      const record: Record<string, unknown> = {};
      for (const [key, value] of entries) record[key] = value;
      return record;
    };
    const wide: [string, unknown][] = Array.from({ length: 300 }, (_, index) => [`k${index}`, index]);
    const shapes: [string, unknown][][] = [
      [["b", 1], ["10", 2], ["a", 3], ["1", 4], ["0", 5]],
      [['quote"', 1], ["back\\slash", 2], ["line\u2028separator", 3], ["", 4], ["new\nline", 5], ["${x}", 6], ["é", 7]],
      [["constructor", 1], ["toString", 2], ["hasOwnProperty", 3]],
      [["x", 1], ["__proto__", 2], ["y", 3]],
      wide,
    ];
    const arena = new FieldArena();
    const ranges: ArenaRange[] = [];
    // each shape read key by key first, then by its generated builder
    const copies = BUILDER_AFTER_READS + 2;
    for (const shape of shapes) {
      for (let copy = 0; copy < copies; copy++) {
        arena.write(keyByKey(shape) as FieldRecord);
        ranges.push(arena.end());
      }
    }
    const read = readAll(arena, ranges);
    read.forEach((record, index) => {
      const expected = keyByKey(shapes[Math.floor(index / copies)]!);
      expect(Object.keys(record)).toEqual(Object.keys(expected));
      expect(Object.getPrototypeOf(record)).toBe(Object.getPrototypeOf(expected));
      for (const key of Object.keys(expected)) expect(record[key]).toEqual(expected[key]);
    });
    expect(Object.keys(read[copies - 1]!)).toEqual(["0", "1", "10", "b", "a"]);
    expect(Object.keys(read[4 * copies + copies - 1]!)).toHaveLength(300);
    // an own "__proto__" key (JSON.parse makes one) is assigned key by key, as before: the assignment sets no own key
    const parsed = JSON.parse('{"a": 1, "__proto__": 2, "b": 3}') as FieldRecord;
    const single = new FieldArena();
    single.write(parsed);
    const back = single.read(ZERO, single.end());
    expect(Object.keys(back)).toEqual(["a", "b"]);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });
});

