import type { DirectionStream } from "./direction-stream.js";
import { partsDifference, readFieldParts, type FieldShape } from "./field-shape.js";

/** Largest distance (ms of capture time) of a sender clock's value from its fitted line that still counts as on it. */
export const CLOCK_TOLERANCE_MS = 150;

/** Largest step still read as a lost or reordered datagram of a sequence. */
export const SEQUENCE_NEAR_STEP = 32;

/** What one candidate shape does across the sampled streams (pooled). */
export interface CandidateStatistics {
  /** The shape. */
  shape: FieldShape;
  /** Datagrams long enough to hold the field. */
  datagrams: number;
  /** Consecutive pairs (per stream) of such datagrams. */
  pairs: number;
  /** Pairs stepping by exactly +1. */
  plusOne: number;
  /** Pairs stepping by −32…+32 (loss, reorder, duplicate). */
  nearSteps: number;
  /** Pairs stepping by 0. */
  zeroSteps: number;
  /** Pairs after a long silence (more than twice the stream's median gap). */
  longGapPairs: number;
  /** Of those, pairs stepping by exactly +1 (a sequence does not care about the gap; a clock does). */
  longGapPlusOne: number;
  /** Pairs stepping by ≥ 0. */
  nonDecreasing: number;
  /** Pairs stepping by > 0. */
  increasing: number;
  /** Least-squares slope of the unwrapped value against capture time, units per µs (per-stream intercepts). */
  slopePerUs: number;
  /** Median |residual| of that fit converted to ms. */
  residualMedianMs: number;
  /** 90th percentile |residual| in ms. */
  residualP90Ms: number;
  /** Capture time spanned by the streams (the longest), µs. */
  spanUs: number;
  /** Most common `payload length − value`. */
  lengthOffset: number;
  /** Datagrams where `payload length − value` equals {@link lengthOffset}. */
  lengthMatches: number;
  /** Distinct payload lengths among those datagrams (capped at 64). */
  lengthDistinct: number;
  /** Distinct values (capped at 64). */
  distinctValues: number;
  /** Datagrams within {@link CLOCK_TOLERANCE_MS} of the fitted line (0 unless the field never steps back). */
  withinTolerance: number;
  /** Streams with at least two datagrams holding the field (each fitted its own intercept). */
  streams: number;
}

/** Per-stream precomputed facts shared by every candidate. */
export interface StreamFacts {
  /** The stream. */
  stream: DirectionStream;
  /** Median gap between consecutive datagrams, µs. */
  medianGapUs: number;
  /** Scratch space for one candidate's times and unwrapped values (reused by every candidate: no allocation per shape). */
  scratchTimes: Float64Array;
  /** See {@link scratchTimes}. */
  scratchValues: Float64Array;
  /** Scratch space for the fit's intercepts. */
  scratchIntercepts: Float64Array;
}

/** Computes {@link StreamFacts} for every stream. */
export function streamFacts(streams: readonly DirectionStream[]): StreamFacts[] {
  return streams.map((stream) => {
    const gaps: number[] = [];
    for (let index = 1; index < stream.times.length; index++) gaps.push(stream.times[index]! - stream.times[index - 1]!);
    gaps.sort((a, b) => a - b);
    const length = stream.payloads.length;
    return {
      stream,
      medianGapUs: gaps.length === 0 ? 0 : gaps[gaps.length >> 1]!,
      scratchTimes: new Float64Array(length),
      scratchValues: new Float64Array(length),
      scratchIntercepts: new Float64Array(length),
    };
  });
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.POSITIVE_INFINITY;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

/**
 * Runs one pass of every per-field test (sequence steps, clock fit, length
 * match, distinct values) for `shape` over the streams. Values are compared
 * with serial-number arithmetic in the field's width, so wraps (u16 sequences,
 * u32 millisecond clocks, 64-bit sequences across 2^63) are steps like others.
 */
export function candidateStatistics(facts: readonly StreamFacts[], shape: FieldShape): CandidateStatistics {
  const end = shape.offset + shape.bytes;
  const parts = { high: 0, low: 0 };
  let datagrams = 0;
  let pairs = 0;
  let plusOne = 0;
  let nearSteps = 0;
  let zeroSteps = 0;
  let longGapPairs = 0;
  let longGapPlusOne = 0;
  let nonDecreasing = 0;
  let increasing = 0;
  let spanUs = 0;
  // length test: `payload length − value` is compared with the offsets of the first three datagrams
  const lengthCandidates: number[] = [];
  const lengthCounts = [0, 0, 0];
  const lengthSets: Set<number>[] = [new Set(), new Set(), new Set()];
  const testLength = shape.bytes <= 4;
  const distinct = new Set<number>();
  // clock fit: per stream the unwrapped value, pooled slope with per-stream intercepts
  const unwrappedByStream: { times: Float64Array; values: Float64Array; intercepts: Float64Array }[] = [];
  const small = shape.bytes <= 4;
  const modulus = 2 ** (8 * Math.min(shape.bytes, 4));
  const half = modulus / 2;
  let covariance = 0;
  let variance = 0;
  let residualCount = 0;
  for (const { stream, medianGapUs, scratchTimes, scratchValues, scratchIntercepts } of facts) {
    const times = scratchTimes;
    const values = scratchValues;
    let count = 0;
    let previousHigh = 0;
    let previousLow = 0;
    let previousTime = 0;
    let unwrapped = 0;
    let has = false;
    for (let index = 0; index < stream.payloads.length; index++) {
      const payload = stream.payloads[index]!;
      if (payload.length < end) continue;
      readFieldParts(payload, shape, parts);
      datagrams += 1;
      if (distinct.size < 64) distinct.add((parts.high % 0x100000) * 0x100000000 + parts.low); // exact key (a float of 64 bits is not)
      if (testLength) {
        const lengthOffset = payload.length - parts.low;
        if (lengthCandidates.length < 3 && lengthOffset >= 0 && !lengthCandidates.includes(lengthOffset)) lengthCandidates.push(lengthOffset);
        for (let candidate = 0; candidate < lengthCandidates.length; candidate++) {
          if (lengthCandidates[candidate] === lengthOffset) {
            lengthCounts[candidate] += 1;
            if (lengthSets[candidate]!.size < 64) lengthSets[candidate]!.add(payload.length);
          }
        }
      }
      const time = stream.times[index]!;
      if (has) {
        let step: number;
        if (small) {
          step = (parts.low - previousLow) % modulus;
          if (step >= half) step -= modulus;
          else if (step < -half) step += modulus;
        } else step = partsDifference(shape.bytes, previousHigh, previousLow, parts.high, parts.low);
        pairs += 1;
        if (step === 1) plusOne += 1;
        if (step === 0) zeroSteps += 1;
        if (step >= -SEQUENCE_NEAR_STEP && step <= SEQUENCE_NEAR_STEP) nearSteps += 1;
        if (step >= 0) nonDecreasing += 1;
        if (step > 0) increasing += 1;
        if (medianGapUs > 0 && time - previousTime > 2 * medianGapUs) {
          longGapPairs += 1;
          if (step === 1) longGapPlusOne += 1;
        }
        unwrapped += step;
      }
      has = true;
      previousHigh = parts.high;
      previousLow = parts.low;
      previousTime = time;
      times[count] = time;
      values[count] = unwrapped;
      count += 1;
    }
    if (count >= 2) {
      spanUs = Math.max(spanUs, times[count - 1]! - times[0]!);
      let meanTime = 0;
      let meanValue = 0;
      for (let index = 0; index < count; index++) {
        meanTime += times[index]!;
        meanValue += values[index]!;
      }
      meanTime /= count;
      meanValue /= count;
      for (let index = 0; index < count; index++) {
        const dt = times[index]! - meanTime;
        covariance += dt * (values[index]! - meanValue);
        variance += dt * dt;
      }
      unwrappedByStream.push({ times: times.subarray(0, count), values: values.subarray(0, count), intercepts: scratchIntercepts.subarray(0, count) });
      residualCount += count;
    }
  }
  const slopePerUs = variance > 0 ? covariance / variance : 0;
  let residualMedianMs = Number.POSITIVE_INFINITY;
  let withinTolerance = 0;
  let residualP90Ms = Number.POSITIVE_INFINITY;
  // the fit's scatter only matters for fields that never step back (clock candidates)
  if (slopePerUs > 0 && pairs > 0 && nonDecreasing >= 0.95 * pairs) {
    const residuals = new Float64Array(residualCount);
    let count = 0;
    for (const { times, values, intercepts } of unwrappedByStream) {
      // each stream its own intercept (median of value − slope·t, robust to a few outliers)
      for (let index = 0; index < times.length; index++) intercepts[index] = values[index]! - slopePerUs * times[index]!;
      intercepts.sort();
      const intercept = intercepts[intercepts.length >> 1]!;
      for (let index = 0; index < times.length; index++) {
        residuals[count++] = Math.abs(values[index]! - slopePerUs * times[index]! - intercept) / slopePerUs / 1000;
      }
    }
    const used = residuals.subarray(0, count).sort();
    for (const residual of used) if (residual <= CLOCK_TOLERANCE_MS) withinTolerance += 1;
    residualMedianMs = percentile(used, 0.5);
    residualP90Ms = percentile(used, 0.9);
  }
  let lengthOffset = 0;
  let lengthMatches = 0;
  let lengthDistinct = 0;
  for (let candidate = 0; candidate < lengthCandidates.length; candidate++) {
    if (lengthCounts[candidate]! > lengthMatches) {
      lengthOffset = lengthCandidates[candidate]!;
      lengthMatches = lengthCounts[candidate]!;
      lengthDistinct = lengthSets[candidate]!.size;
    }
  }
  return {
    shape,
    datagrams,
    pairs,
    plusOne,
    nearSteps,
    zeroSteps,
    longGapPairs,
    longGapPlusOne,
    nonDecreasing,
    increasing,
    slopePerUs,
    residualMedianMs,
    residualP90Ms,
    spanUs,
    lengthOffset,
    lengthMatches,
    lengthDistinct,
    distinctValues: distinct.size,
    withinTolerance,
    streams: unwrappedByStream.length,
  };
}
