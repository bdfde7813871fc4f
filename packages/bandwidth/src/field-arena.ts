import type { FieldRecord, FieldValue } from "@tickscope/core";

/** Value tags of the arena's tag stream. */
const Tag = { number: 0, true: 1, false: 2, null: 3, undefined: 4, reference: 5, bytes: 6, list: 7, record: 8 } as const;

/** Where one stored field tree lies in the arena's three streams (ends exclusive). */
export interface ArenaRange {
  tagEnd: number;
  valueEnd: number;
  referenceEnd: number;
}

/** A record shape while key lists are matched: the keys so far, then the next key's node. */
interface ShapeNode {
  /** Shape id of a record whose keys end here (−1: none yet). */
  id: number;
  /** The keys leading here. */
  keys: string[];
  /** Child most recently followed (records of one shape repeat: one string comparison per key). */
  lastKey: string | undefined;
  lastChild: ShapeNode | undefined;
  children: Map<string, ShapeNode> | undefined;
}

function shapeNode(keys: string[]): ShapeNode {
  return { id: -1, keys, lastKey: undefined, lastChild: undefined, children: undefined };
}

/**
 * Decoded field trees stored flat, for the many messages kept a while and then
 * mostly dropped (the trace's sample): a tag per value in a byte stream,
 * numbers (and list lengths and record shape ids) in a float stream, strings,
 * bigints and byte-array copies in a reference list. Storing a tree allocates
 * no object per record or number, so the garbage collector neither moves nor
 * marks them; {@link FieldArena.read} rebuilds a tree equal to the stored one
 * (same keys in the same order, same values: −0, NaN, bigints and byte arrays
 * included). Trees are appended in order; {@link FieldArena.compact} keeps a
 * subset, in order.
 */
export class FieldArena {
  private tags = new Uint8Array(1 << 16);
  private values = new Float64Array(1 << 13);
  private references: unknown[] = [];
  private tagCount = 0;
  private valueCount = 0;
  /** Key lists of the record shapes seen, by shape id. */
  private readonly shapes: string[][] = [];
  /** Record builders by shape id ({@link recordBuilder}), made once a shape has been read {@link BUILDER_AFTER_READS} times. */
  private readonly builders: (RecordBuilder | undefined)[] = [];
  /** Records read per shape id while it has no builder. */
  private readonly shapeReads: number[] = [];
  private readonly shapeRoot = shapeNode([]);
  /** Leaves of the tree being written (see {@link FieldArena.write}). */
  private leaves = 0;
  /** Read cursors. */
  private tagAt = 0;
  private valueAt = 0;
  private referenceAt = 0;

  /** Tags stored (the end of the tag stream). */
  get tagLength(): number {
    return this.tagCount;
  }

  /**
   * Appends a field record; returns its leaf values (everything but lists and
   * records: numbers, strings, booleans, nulls, bigints, byte arrays). Its range
   * ends at {@link FieldArena.end}.
   */
  write(record: FieldRecord): number {
    this.leaves = 0;
    this.writeRecord(record);
    return this.leaves;
  }

  /** Where the stored trees end now: the range end of the last tree written. */
  end(): ArenaRange {
    return { tagEnd: this.tagCount, valueEnd: this.valueCount, referenceEnd: this.references.length };
  }

  /** Rebuilds the tree stored between `start` (the previous tree's end, or zeros) and `end`. */
  read(start: ArenaRange, end: ArenaRange): FieldRecord {
    this.tagAt = start.tagEnd;
    this.valueAt = start.valueEnd;
    this.referenceAt = start.referenceEnd;
    const record = this.readValue() as FieldRecord;
    if (this.tagAt !== end.tagEnd || this.valueAt !== end.valueEnd || this.referenceAt !== end.referenceEnd) throw new Error("field arena: range does not hold one tree");
    return record;
  }

  /** Rebuilds the two trees stored one after the other between `start` and `end` (see {@link FieldArena.read}). */
  readPair(start: ArenaRange, end: ArenaRange): [FieldRecord, FieldRecord] {
    this.tagAt = start.tagEnd;
    this.valueAt = start.valueEnd;
    this.referenceAt = start.referenceEnd;
    const first = this.readValue() as FieldRecord;
    const second = this.readValue() as FieldRecord;
    if (this.tagAt !== end.tagEnd || this.valueAt !== end.valueEnd || this.referenceAt !== end.referenceEnd) throw new Error("field arena: range does not hold two trees");
    return [first, second];
  }

  /**
   * Keeps the trees whose index `keep` accepts, in order, and moves them to the
   * front; `ranges` holds each tree's end (tree i starts at tree i−1's end) and
   * is rewritten in place to the kept trees' new ends (its length becomes the
   * number kept). Returns the number kept.
   */
  compact(ranges: ArenaRange[], keep: (index: number) => boolean): number {
    let tagWrite = 0;
    let valueWrite = 0;
    let referenceWrite = 0;
    let previous: ArenaRange = { tagEnd: 0, valueEnd: 0, referenceEnd: 0 };
    let kept = 0;
    for (let index = 0; index < ranges.length; index++) {
      const range = ranges[index]!;
      if (keep(index)) {
        const tags = range.tagEnd - previous.tagEnd;
        const values = range.valueEnd - previous.valueEnd;
        const references = range.referenceEnd - previous.referenceEnd;
        if (tagWrite !== previous.tagEnd) this.tags.copyWithin(tagWrite, previous.tagEnd, range.tagEnd);
        if (valueWrite !== previous.valueEnd) this.values.copyWithin(valueWrite, previous.valueEnd, range.valueEnd);
        for (let offset = 0; offset < references; offset++) this.references[referenceWrite + offset] = this.references[previous.referenceEnd + offset];
        tagWrite += tags;
        valueWrite += values;
        referenceWrite += references;
        previous = range;
        ranges[kept] = { tagEnd: tagWrite, valueEnd: valueWrite, referenceEnd: referenceWrite };
        kept += 1;
      } else {
        previous = range;
      }
    }
    ranges.length = kept;
    this.tagCount = tagWrite;
    this.valueCount = valueWrite;
    this.references.length = referenceWrite;
    return kept;
  }

  /** Drops every stored tree after `end` (the trees after the one that ends there). */
  truncate(end: ArenaRange): void {
    this.tagCount = end.tagEnd;
    this.valueCount = end.valueEnd;
    this.references.length = end.referenceEnd;
  }

  /** Frees the streams (after the trees were read). */
  clear(): void {
    this.tags = new Uint8Array(1 << 16);
    this.values = new Float64Array(1 << 13);
    this.references = [];
    this.tagCount = 0;
    this.valueCount = 0;
  }

  private pushTag(tag: number): void {
    if (this.tagCount === this.tags.length) {
      const grown = new Uint8Array(this.tags.length * 2);
      grown.set(this.tags);
      this.tags = grown;
    }
    this.tags[this.tagCount++] = tag;
  }

  private pushValue(value: number): void {
    if (this.valueCount === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.valueCount++] = value;
  }

  private writeRecord(record: FieldRecord): void {
    // The shape: walk the key trie (records of one shape follow their last child: no map lookup).
    let node = this.shapeRoot;
    for (const key in record) {
      if (node.lastKey === key) {
        node = node.lastChild!;
        continue;
      }
      let child = node.children?.get(key);
      if (child === undefined) {
        child = shapeNode([...node.keys, key]);
        (node.children ??= new Map()).set(key, child);
      }
      node.lastKey = key;
      node.lastChild = child;
      node = child;
    }
    if (node.id < 0) {
      node.id = this.shapes.length;
      this.shapes.push(node.keys);
    }
    this.pushTag(Tag.record);
    this.pushValue(node.id);
    for (const key in record) this.writeValue(record[key]!);
  }

  private writeValue(value: FieldValue): void {
    if (typeof value === "number") {
      this.leaves += 1;
      this.pushTag(Tag.number);
      this.pushValue(value);
      return;
    }
    if (value === null || typeof value !== "object") {
      this.leaves += 1;
      if (value === true) this.pushTag(Tag.true);
      else if (value === false) this.pushTag(Tag.false);
      else if (value === null) this.pushTag(Tag.null);
      else if (value === undefined) this.pushTag(Tag.undefined);
      else {
        // strings and bigints: immutable, kept by reference
        this.pushTag(Tag.reference);
        this.references.push(value);
      }
      return;
    }
    if (Array.isArray(value)) {
      const items = value as readonly FieldValue[];
      this.pushTag(Tag.list);
      this.pushValue(items.length);
      for (let index = 0; index < items.length; index++) this.writeValue(items[index]!);
      return;
    }
    if (value instanceof Uint8Array) {
      this.leaves += 1;
      this.pushTag(Tag.bytes);
      this.references.push(value.slice());
      return;
    }
    this.writeRecord(value as FieldRecord);
  }

  /** Reads the next stored value (what a record builder calls for each of its fields, in order). */
  private readonly readChild = (): FieldValue => this.readValue();

  private readValue(): FieldValue {
    const tag = this.tags[this.tagAt++];
    switch (tag) {
      case Tag.number:
        return this.values[this.valueAt++]!;
      case Tag.true:
        return true;
      case Tag.false:
        return false;
      case Tag.null:
        return null;
      case Tag.undefined:
        return undefined as unknown as FieldValue;
      case Tag.reference:
      case Tag.bytes:
        return this.references[this.referenceAt++] as FieldValue;
      case Tag.list: {
        const length = this.values[this.valueAt++]!;
        const items: FieldValue[] = [];
        for (let index = 0; index < length; index++) items.push(this.readValue());
        return items;
      }
      case Tag.record: {
        const shape = this.values[this.valueAt++]!;
        const build = this.builders[shape];
        if (build !== undefined) return build(this.readChild);
        // A shape read a few times only is built key by key (a generated builder pays off over many records).
        const keys = this.shapes[shape]!;
        const reads = (this.shapeReads[shape] ?? 0) + 1;
        this.shapeReads[shape] = reads;
        if (reads >= BUILDER_AFTER_READS) this.builders[shape] = recordBuilder(keys);
        const record: Record<string, FieldValue> = {};
        for (let index = 0; index < keys.length; index++) record[keys[index]!] = this.readValue();
        return record;
      }
      default:
        throw new Error(`field arena: unknown tag ${String(tag)}`);
    }
  }
}

/** Records of a shape read key by key before it gets a generated builder. */
export const BUILDER_AFTER_READS = 64;

/** Builds one record of a shape, reading its field values in key order. */
type RecordBuilder = (read: () => FieldValue) => Record<string, FieldValue>;

/** Most keys a generated record literal holds (a wider shape is built key by key). */
const MAX_LITERAL_KEYS = 256;

/**
 * A builder of the records of one shape: an object literal with the shape's
 * keys (generated once per shape), so every record of the shape gets one
 * hidden class with its fields in the object itself instead of growing key by
 * key (a backing store past four keys) — fewer objects for the collector and
 * faster field reads for every later walk. The keys and their order are those
 * `record[key] = value` in key order gives (both put integer-like keys first);
 * a shape with `__proto__` (which a literal would treat as the prototype), or a
 * very wide one, is built key by key.
 */
function recordBuilder(keys: readonly string[]): RecordBuilder {
  if (keys.length > MAX_LITERAL_KEYS || keys.includes("__proto__")) {
    return (read) => {
      const record: Record<string, FieldValue> = {};
      for (let index = 0; index < keys.length; index++) record[keys[index]!] = read();
      return record;
    };
  }
  // JSON string literals are JavaScript string literals: any key is safe in the generated source.
  const literal = keys.map((key) => `${JSON.stringify(key)}: read()`).join(", ");
  return new Function("read", `"use strict"; return { ${literal} };`) as RecordBuilder;
}

