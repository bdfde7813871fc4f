// The float and serial encodings of saved state are core's (saved-state-values.ts), shared with the anticheat analysis.
import { decodeFloat, encodeFloat, type EncodedFloat } from "@tickscope/core";

export { decodeFloat, decodeSerial, encodeFloat, encodeSerial, type EncodedFloat, type EncodedSerial } from "@tickscope/core";

/** Sparse form of a count array: `[index, count]` pairs of the non-zero entries. */
export type SparseCounts = [number, number][];

/** Non-zero entries of a count array. */
export function encodeSparse(values: ArrayLike<number>): SparseCounts {
  const result: SparseCounts = [];
  for (let index = 0; index < values.length; index++) if (values[index] !== 0) result.push([index, values[index]!]);
  return result;
}

/** Writes sparse counts into `target` (indices outside it are a bad state). */
export function decodeSparse(entries: SparseCounts, target: { length: number; [index: number]: number }, what: string): void {
  for (const [index, count] of entries) {
    if (!Number.isInteger(index) || index < 0 || index >= target.length) throw new RangeError(`${what}: index ${index} outside 0..${target.length - 1}`);
    target[index] = count;
  }
}

/** Small integers (0–15) as one hex digit each. */
export function encodeNibbles(values: ArrayLike<number>): string {
  let text = "";
  for (let index = 0; index < values.length; index++) text += values[index]!.toString(16);
  return text;
}

/** Decodes {@link encodeNibbles}. */
export function decodeNibbles(text: string, what: string): number[] {
  const result: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const value = Number.parseInt(text[index]!, 16);
    if (Number.isNaN(value)) throw new RangeError(`${what}: "${text[index]}" is not a hex digit`);
    result.push(value);
  }
  return result;
}

/**
 * A list of times: the first value then differences (small numbers in JSON)
 * when every value is rebuilt exactly from them, else the values themselves.
 */
export type EncodedSeries = { deltas: number[] } | { values: EncodedFloat[] };

/** Encodes a list of times compactly and exactly. */
export function encodeSeries(values: readonly number[]): EncodedSeries {
  const deltas: number[] = [];
  let previous = 0;
  let rebuilt = 0;
  for (const value of values) {
    const delta = value - previous;
    rebuilt += delta;
    if (!Number.isFinite(delta) || rebuilt !== value) return { values: values.map(encodeFloat) };
    deltas.push(delta);
    previous = value;
  }
  return { deltas };
}

/** Decodes {@link encodeSeries}. */
export function decodeSeries(series: EncodedSeries): number[] {
  if ("values" in series) return series.values.map(decodeFloat);
  const result: number[] = [];
  let value = 0;
  for (const delta of series.deltas) {
    value += delta;
    result.push(value);
  }
  return result;
}
