import { flattenNumbers, pathOfFlatKey } from "./field-values.js";
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
  const intervals: number[] = [];
  for (const key of [...streams.keys()].sort()) {
    const list = streams.get(key)!;
    for (let index = 1; index < list.length; index++) intervals.push(list[index]!.tUs - list[index - 1]!.tUs);
    let before = new Map<string, number>();
    let after = new Map<string, number>();
    for (let start = 0; start + every < list.length; start += every) {
      const first = list[start]!;
      const last = list[start + every]!;
      const fields = keyFieldsOf(first.type);
      if (start === 0) flattenNumbers(first.fields, "", fields, before);
      after = new Map();
      flattenNumbers(last.fields, "", fields, after);
      for (let index = start + 1; index < start + every; index++) {
        const dropped = list[index]!;
        const span = last.tUs - first.tUs;
        const weight = span > 0 ? (dropped.tUs - first.tUs) / span : 0;
        const actual = new Map<string, number>();
        flattenNumbers(dropped.fields, "", fields, actual);
        const floats = floatPathsOf(first.type);
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
      before = after;
    }
  }
  intervals.sort((a, b) => a - b);
  const medianIntervalUs = intervals.length === 0 ? 0 : intervals[Math.floor((intervals.length - 1) / 2)]!;
  return { every, maxError, worstPath, measuredMessages: measured, medianIntervalUs };
}
