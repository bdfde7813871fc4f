import type { FieldValue } from "@tickscope/core";
import { childPathOf, elementKeyOf, elementPathOf, flattenNumbers, isFieldRecord, pathOfFlatKey } from "./field-values.js";
import type { Reencoder } from "./reencoder.js";
import type { RetainedMessage } from "./trace.js";

/** Error of sending one message in `every` and interpolating the rest. */
export interface InterpolationError {
  every: number;
  /** Largest |interpolated − actual| over numeric leaves of dropped messages, measured. */
  maxError: number;
  /** Leaf path with the largest error. */
  worstPath: string;
  /** Dropped messages whose error was measured (both neighbours kept). */
  measuredMessages: number;
  /** Median interval between messages of the thinned streams, µs. */
  medianIntervalUs: number;
}

/**
 * Types that look like state updates: they carry entity or position roles and
 * are sent at least `minimumMessages` times in one stream of the window.
 */
export function stateTypes(messages: readonly RetainedMessage[], minimumMessages = 10): string[] {
  const counts = new Map<string, number>();
  const stateful = new Set<string>();
  for (const message of messages) {
    if (message.roles.entities !== undefined || message.roles.position !== undefined) stateful.add(message.type);
    const key = message.streamKey ?? `${message.sessionId}\u0000${message.direction}\u0000${message.type}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const result = new Set<string>();
  for (const [key, count] of counts) {
    const type = key.split("\u0000")[2]!;
    if (count >= minimumMessages && stateful.has(type)) result.add(type);
  }
  return [...result].sort();
}

/**
 * Measures the error if the given types were sent once every `every` messages
 * per stream and the receiver interpolated linearly (in time) between the
 * kept ones: every numeric leaf of every dropped message between two kept
 * messages is compared with its interpolation.
 */
export function measureInterpolationError(
  messages: readonly RetainedMessage[],
  types: readonly string[],
  every: number,
  reencoder: Reencoder | undefined,
  maxMessagesPerStream = 200,
): InterpolationError {
  const typeSet = new Set(types);
  const streams = new Map<string, RetainedMessage[]>();
  // Streams restart after a gap between sampled blocks (never interpolate across a gap).
  let segment = 0;
  let previousBlock: number | undefined;
  for (const message of messages) {
    const block = message.block ?? 0;
    if (previousBlock !== undefined && block > previousBlock + 1) segment += 1;
    previousBlock = block;
    if (!typeSet.has(message.type)) continue;
    const streamKey = message.streamKey ?? `${message.sessionId}\u0000${message.direction}\u0000${message.type}`;
    const key = segment === 0 ? streamKey : `${streamKey}\u0000${segment}`;
    let list = streams.get(key);
    if (list === undefined) {
      list = [];
      streams.set(key, list);
    }
    if (list.length < maxMessagesPerStream) list.push(message);
  }
  const keyFields = new Map<string, ReadonlyMap<string, string>>();
  const keyFieldsOf = (type: string): ReadonlyMap<string, string> => {
    let map = keyFields.get(type);
    if (map === undefined) {
      const entries = new Map<string, string>();
      for (const array of reencoder?.entityArrays(type) ?? []) if (array.keyField !== undefined) entries.set(array.field, array.keyField);
      map = entries;
      keyFields.set(type, map);
    }
    return map;
  };
  // Whether a flat key's leaf path is a float, per float-path set (flat keys recur: no slicing per leaf).
  const floatKeys = new WeakMap<ReadonlySet<string>, Map<string, boolean>>();
  const isFloatKey = (floats: ReadonlySet<string>, flatKey: string): boolean => {
    let known = floatKeys.get(floats);
    if (known === undefined) {
      known = new Map();
      floatKeys.set(floats, known);
    }
    let float = known.get(flatKey);
    if (float === undefined) {
      float = floats.has(pathOfFlatKey(flatKey));
      known.set(flatKey, float);
    }
    return float;
  };
  const floatPaths = new Map<string, ReadonlySet<string> | undefined>();
  const floatPathsOf = (type: string): ReadonlySet<string> | undefined => {
    if (!floatPaths.has(type)) {
      const leaves = reencoder?.leaves(type);
      floatPaths.set(
        type,
        leaves === undefined ? undefined : new Set(leaves.filter((leaf) => leaf.kind === "float32" || leaf.kind === "float64" || leaf.kind === "quantized").map((leaf) => leaf.path)),
      );
    }
    return floatPaths.get(type);
  };
  let maxError = 0;
  let worstPath = "";
  let measured = 0;
  const walk: TripleWalk = {
    weight: 0,
    floats: undefined,
    keyFields: new Map(),
    maxError: 0,
    worstPath: "",
    seenKeys: new Set(),
    shapes: new Map(),
  };
  const intervals: number[] = [];
  for (const key of [...streams.keys()].sort()) {
    const list = streams.get(key)!;
    for (let index = 1; index < list.length; index++) intervals.push(list[index]!.tUs - list[index - 1]!.tUs);
    let before = new Map<string, number>();
    let after = new Map<string, number>();
    // Flattened lazily: only a block whose trees do not line up needs the maps.
    let afterFlat = false;
    for (let start = 0; start + every < list.length; start += every) {
      const first = list[start]!;
      const last = list[start + every]!;
      const fields = keyFieldsOf(first.type);
      let beforeFlat = start > 0 && afterFlat;
      if (beforeFlat) before = after;
      afterFlat = false;
      for (let index = start + 1; index < start + every; index++) {
        const dropped = list[index]!;
        const span = last.tUs - first.tUs;
        const weight = span > 0 ? (dropped.tUs - first.tUs) / span : 0;
        const floats = floatPathsOf(first.type);
        // Side by side when the three trees line up (no map per message); else flattened and matched by key.
        walk.weight = weight;
        walk.floats = floats;
        walk.keyFields = fields;
        walk.maxError = maxError;
        walk.worstPath = worstPath;
        if (walkTriple(first.fields, last.fields, dropped.fields, "", walk)) {
          maxError = walk.maxError;
          worstPath = walk.worstPath;
          measured += 1;
          continue;
        }
        if (!beforeFlat) {
          before = new Map();
          flattenNumbers(first.fields, "", fields, before);
          beforeFlat = true;
        }
        if (!afterFlat) {
          after = new Map();
          flattenNumbers(last.fields, "", fields, after);
          afterFlat = true;
        }
        const actual = new Map<string, number>();
        flattenNumbers(dropped.fields, "", fields, actual);
        for (const [flatKey, value] of actual) {
          const a = before.get(flatKey);
          const b = after.get(flatKey);
          if (a === undefined || b === undefined) continue;
          // Counters and ids (integer leaves) are not interpolated by receivers.
          if (floats !== undefined ? !isFloatKey(floats, flatKey) : Number.isInteger(a) && Number.isInteger(b) && Number.isInteger(value)) continue;
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
  const medianIntervalUs = intervals.length === 0 ? 0 : intervals[Math.floor((intervals.length - 1) / 2)]!;
  return { every, maxError, worstPath, measuredMessages: measured, medianIntervalUs };
}

/** State of one side-by-side comparison of a dropped message with its interpolation. */
interface TripleWalk {
  weight: number;
  floats: ReadonlySet<string> | undefined;
  keyFields: ReadonlyMap<string, string>;
  maxError: number;
  worstPath: string;
  /** Keys of the keyed array being checked (reused). */
  seenKeys: Set<string>;
  /** The record shape last walked at each path ({@link RecordShape}). */
  shapes: Map<string, RecordShape>;
}

/**
 * The keys of a record walked before at a path, all safe names ({@link isSafeName}),
 * and their child paths: a record of the same keys in the same order (checked key
 * by key, no lookup) needs neither the name checks nor the path joins again.
 */
interface RecordShape {
  names: readonly string[];
  childPaths: readonly string[];
  /** Walks the three records' fields in the shape's order ({@link childrenWalker}). */
  walkChildren: ChildrenWalker;
}

/** Walks the fields of three records of one shape: the {@link walkTriple} of each, in order, until one returns false. */
type ChildrenWalker = (before: Record<string, FieldValue> | undefined, after: Record<string, FieldValue> | undefined, dropped: Record<string, FieldValue>, walk: TripleWalk) => boolean;

/** Most fields a generated {@link ChildrenWalker} names (a wider shape is walked name by name). */
const MAX_GENERATED_FIELDS = 256;

/**
 * The children walk of a record shape: generated once per shape with each field read by its
 * literal name (one property access site per field: monomorphic, where a loop reading
 * `record[name]` for every name of every shape is not), short-circuiting as the loop does.
 */
function childrenWalker(names: readonly string[], childPaths: readonly string[]): ChildrenWalker {
  if (names.length === 0 || names.length > MAX_GENERATED_FIELDS) {
    return (before, after, dropped, walk) => {
      for (let index = 0; index < names.length; index++) {
        const name = names[index]!;
        if (!walkTriple(before?.[name], after?.[name], dropped[name], childPaths[index]!, walk)) return false;
      }
      return true;
    };
  }
  // One generated factory per list of names (shapes recur at every path and in every measurement): compiled once.
  const source = JSON.stringify(names);
  let factory = walkerFactories.get(source);
  if (factory === undefined) {
    // JSON string literals are JavaScript string literals: any name is safe in the generated source.
    const steps = names.map((name, index) => {
      const key = JSON.stringify(name);
      return `walkTriple(before === undefined ? undefined : before[${key}], after === undefined ? undefined : after[${key}], dropped[${key}], childPaths[${index}], walk)`;
    });
    factory = new Function("walkTriple", "childPaths", `"use strict"; return function (before, after, dropped, walk) { return ${steps.join(" && ")}; };`) as WalkerFactory;
    if (walkerFactories.size >= MAX_WALKER_FACTORIES) walkerFactories.clear();
    walkerFactories.set(source, factory);
  }
  return factory(walkTriple, childPaths);
}

/** Makes the {@link ChildrenWalker} of one list of names for the child paths of one record path. */
type WalkerFactory = (walk: typeof walkTriple, childPaths: readonly string[]) => ChildrenWalker;

/** Generated walker factories by their names (as a JSON list). */
const walkerFactories = new Map<string, WalkerFactory>();

/** Most walker factories kept (emptied past it: memory stays bounded over many protocols). */
const MAX_WALKER_FACTORIES = 4096;

/**
 * Whether a record (or its absence) has exactly the shape's keys, in order, all
 * its own: a plain object whose for…in lists them (an enumerable key inherited
 * from Object.prototype would be listed too, and not match).
 */
function hasShape(record: Record<string, FieldValue> | undefined, names: readonly string[]): boolean {
  if (record === undefined) return true;
  if (Object.getPrototypeOf(record) !== Object.prototype) return false;
  let index = 0;
  for (const name in record) {
    if (index >= names.length || name !== names[index]) return false;
    index += 1;
  }
  return index === names.length;
}

/** Whether a record key can be part of a path that no other path spells the same way (checked once per name). */
const safeNames = new Map<string, boolean>();

function isSafeName(name: string): boolean {
  let safe = safeNames.get(name);
  if (safe === undefined) {
    safe = name !== "" && !/[.#[\]/]/.test(name);
    if (safeNames.size < 100_000) safeNames.set(name, safe);
  }
  return safe;
}

/**
 * Compares the numeric leaves of `dropped` with their interpolation between
 * `before` and `after`, walking the three trees side by side, exactly as the
 * flattened maps would match them (by path and element key). Returns false —
 * leaving `walk.maxError`/`worstPath` to be restored by the caller — when the
 * trees do not line up that simply: keyed arrays whose keys differ by index,
 * repeat or contain `/` (or are empty), or record names that could spell
 * another path (`.`, `#`, `[`, `]`, `/`, empty).
 */
function walkTriple(before: FieldValue | undefined, after: FieldValue | undefined, dropped: FieldValue | undefined, path: string, walk: TripleWalk): boolean {
  if (typeof dropped === "number") {
    if (typeof before !== "number" || typeof after !== "number") return true;
    const floats = walk.floats;
    // Counters and ids (integer leaves) are not interpolated by receivers.
    if (floats !== undefined ? !floats.has(path) : Number.isInteger(before) && Number.isInteger(after) && Number.isInteger(dropped)) return true;
    const error = Math.abs(before + (after - before) * walk.weight - dropped);
    if (error > walk.maxError) {
      walk.maxError = error;
      walk.worstPath = path;
    }
    return true;
  }
  if (dropped === null || dropped === undefined || typeof dropped !== "object" || dropped instanceof Uint8Array) return true;
  if (Array.isArray(dropped)) {
    const keyField = walk.keyFields.get(path);
    const elementPath = elementPathOf(path);
    const beforeArray = Array.isArray(before) ? (before as readonly FieldValue[]) : undefined;
    const afterArray = Array.isArray(after) ? (after as readonly FieldValue[]) : undefined;
    if (keyField !== undefined) {
      // Keyed: the three arrays must hold the same unique keys in the same order.
      if (beforeArray === undefined || afterArray === undefined) return dropped.length === 0;
      if (beforeArray.length !== dropped.length || afterArray.length !== dropped.length) return false;
      const seen = walk.seenKeys;
      seen.clear();
      for (let index = 0; index < dropped.length; index++) {
        const key = elementKeyOf(dropped[index], keyField, index);
        if (key === "" || key.includes("/") || seen.has(key)) return false;
        seen.add(key);
        if (elementKeyOf(beforeArray[index], keyField, index) !== key || elementKeyOf(afterArray[index], keyField, index) !== key) return false;
      }
    }
    for (let index = 0; index < dropped.length; index++) {
      // Unkeyed elements are matched by index (an element missing on either side has no interpolation).
      if (!walkTriple(beforeArray?.[index], afterArray?.[index], dropped[index], elementPath, walk)) return false;
    }
    return true;
  }
  const record = dropped as Record<string, FieldValue>;
  const beforeRecord = isFieldRecord(before) ? before : undefined;
  const afterRecord = isFieldRecord(after) ? after : undefined;
  // The three records have the keys of a record walked before at this path: its names are safe, its paths known.
  const shape = walk.shapes.get(path);
  if (shape !== undefined && hasShape(record, shape.names) && hasShape(beforeRecord, shape.names) && hasShape(afterRecord, shape.names)) {
    return shape.walkChildren(beforeRecord, afterRecord, record, walk);
  }
  // A name on either side that could spell another path would let the maps match leaves the walk does not.
  if (beforeRecord !== undefined) for (const name in beforeRecord) if (!isSafeName(name)) return false;
  if (afterRecord !== undefined) for (const name in afterRecord) if (!isSafeName(name)) return false;
  const names = Object.keys(record);
  for (const name of names) {
    if (!isSafeName(name)) return false;
    if (!walkTriple(beforeRecord?.[name], afterRecord?.[name], record[name], childPathOf(path, name), walk)) return false;
  }
  if (Object.getPrototypeOf(record) === Object.prototype) {
    const childPaths = names.map((name) => childPathOf(path, name));
    walk.shapes.set(path, { names, childPaths, walkChildren: childrenWalker(names, childPaths) });
  }
  return true;
}
