import type { FieldValue } from "@tickscope/core";
import { dequantizeValue, quantizeValue } from "./layout-reencoder.js";
import type { LeafKind, QuantizationSpec, Reencoder } from "./reencoder.js";
import type { RetainedMessage } from "./trace.js";

/** One leaf the quantization changes. */
export interface QuantizedLeaf {
  type: string;
  path: string;
  kind: LeafKind;
  originalBits: number;
  bits: number;
  min: number;
  max: number;
  step: number;
  tolerance: number;
  /** Largest |decoded − original| over the retained values, measured. */
  maxError: number;
}

/** Quantization chosen from observed ranges and tolerances. */
export interface QuantizationPlan {
  /** Specs by leaf path (shared by all types with that path). */
  specs: Map<string, QuantizationSpec>;
  leaves: QuantizedLeaf[];
  /** Largest error over all leaves, measured. */
  maxError: number;
}

/** Observed range of one numeric leaf. */
export interface LeafRange {
  type: string;
  path: string;
  kind: LeafKind;
  bits: number;
  min: number;
  max: number;
  count: number;
}

/** Observed value ranges of the numeric leaves of the retained messages (see {@link observeRanges}). */
export interface ObservedRanges {
  ranges: Map<string, LeafRange>;
  /** Top-level integer leaves that behave like counters (mostly increasing per stream): never narrowed. */
  counterPaths: Set<string>;
}

/** Walks the retained messages once and records each numeric leaf's range. */
export function observeRanges(messages: readonly RetainedMessage[], reencoder: Reencoder): ObservedRanges {
  const ranges = new Map<string, LeafRange>();
  // Last value of each top-level leaf, per stream then path (no key string built per leaf).
  const previousByStream = new Map<string, Map<string, number>>();
  let previous = new Map<string, number>();
  let currentType = "";
  const collect = (path: string, bits: number, _changed: boolean, value: FieldValue | undefined): void => {
    const number = toNumber(value);
    if (number === undefined || !Number.isFinite(number)) return;
    if (!path.includes("[]")) {
      const prior = previous.get(path);
      previous.set(path, number);
      let counter = counters.get(path);
      if (counter === undefined) {
        counter = { compared: 0, increasing: 0, decreasing: 0 };
        counters.set(path, counter);
      }
      if (prior !== undefined) {
        counter.compared += 1;
        if (number > prior) counter.increasing += 1;
        else if (number < prior) counter.decreasing += 1;
      }
    }
    let range = ranges.get(path);
    if (range === undefined) {
      const leaf = reencoder.leaves(currentType)?.find((candidate) => candidate.path === path);
      if (leaf === undefined || leaf.kind === "bool" || leaf.kind === "bytes") return;
      range = { type: currentType, path, kind: leaf.kind, bits, min: number, max: number, count: 0 };
      ranges.set(path, range);
    }
    if (number < range.min) range.min = number;
    if (number > range.max) range.max = number;
    range.count += 1;
  };
  const counters = new Map<string, { compared: number; increasing: number; decreasing: number }>();
  for (const message of messages) {
    currentType = message.type;
    const streamKey = message.streamKey ?? `${message.sessionId}\u0000${message.direction}\u0000${message.type}`;
    let streamPrevious = previousByStream.get(streamKey);
    if (streamPrevious === undefined) {
      streamPrevious = new Map();
      previousByStream.set(streamKey, streamPrevious);
    }
    previous = streamPrevious;
    try {
      reencoder.visitLeaves(message.type, message.fields, undefined, collect);
    } catch {
      // Messages the re-encoder cannot walk are counted as encode failures by the trials.
    }
  }
  const counterPaths = new Set<string>();
  for (const [path, counter] of counters) {
    // Sequence numbers, ticks, event ids: they grow past any range observed in a window.
    if (counter.compared >= 3 && counter.increasing >= 0.5 * counter.compared && counter.decreasing <= 0.05 * counter.compared) counterPaths.add(path);
  }
  return { ranges, counterPaths };
}

function toNumber(value: FieldValue | undefined): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  return undefined;
}

/**
 * Tolerance of a leaf path: an exact path entry, else the nearest named path
 * segment (`x`, then `position`, then `entities`), else the default.
 */
export function toleranceFor(path: string, tolerances: ReadonlyMap<string, number>, defaultTolerance: number): number {
  const exact = tolerances.get(path);
  if (exact !== undefined) return exact;
  const segments = path.replace(/\[\]/g, "").split(".");
  for (let index = segments.length - 1; index >= 0; index--) {
    const value = tolerances.get(segments[index]!);
    if (value !== undefined) return value;
  }
  return defaultTolerance;
}

/** Bits needed to send integers 0..count−1 (at least 1). */
export function bitsFor(count: number): number {
  return Math.max(1, Math.ceil(Math.log2(Math.max(2, count))));
}

/**
 * Chooses a quantization per numeric leaf from the ranges observed in the
 * retained messages: floats get `step = 2 × tolerance` (error ≤ tolerance),
 * integers a lossless offset encoding with just enough bits. Leaves that would
 * not shrink are left alone. The error of every retained value is measured.
 */
export function deriveQuantization(
  messages: readonly RetainedMessage[],
  reencoder: Reencoder,
  tolerances: ReadonlyMap<string, number>,
  defaultTolerance: number,
  toleranceScale = 1,
  observed: ObservedRanges = observeRanges(messages, reencoder),
): QuantizationPlan {
  const ranges = observed.ranges;
  const specs = new Map<string, QuantizationSpec>();
  const leaves: QuantizedLeaf[] = [];
  for (const range of [...ranges.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const integerKind = range.kind === "uint" || range.kind === "int";
    // Integers wider than 53 bits are not exact as numbers: leave them alone.
    if (range.bits > 53) continue;
    let spec: QuantizationSpec;
    let tolerance = 0;
    if (integerKind) {
      if (observed.counterPaths.has(range.path)) continue;
      spec = { min: range.min, step: 1, bits: bitsFor(range.max - range.min + 1) };
    } else {
      tolerance = toleranceFor(range.path, tolerances, defaultTolerance) * toleranceScale;
      if (!(tolerance > 0)) continue;
      const step = 2 * tolerance;
      spec = { min: range.min, step, bits: Math.min(53, bitsFor(Math.floor((range.max - range.min) / step) + 2)) };
    }
    if (spec.bits >= range.bits) continue;
    specs.set(range.path, spec);
    leaves.push({
      type: range.type,
      path: range.path,
      kind: range.kind,
      originalBits: range.bits,
      bits: spec.bits,
      min: range.min,
      max: range.max,
      step: spec.step,
      tolerance,
      maxError: 0,
    });
  }
  // Measure the error actually introduced on every retained value.
  const errors = new Map<string, number>();
  const measure = (path: string, _bits: number, _changed: boolean, value: FieldValue | undefined): void => {
    const spec = specs.get(path);
    const number = toNumber(value);
    if (spec === undefined || number === undefined) return;
    const error = Math.abs(dequantizeValue(quantizeValue(number, spec), spec) - number);
    if (error > (errors.get(path) ?? 0)) errors.set(path, error);
  };
  if (specs.size > 0) {
    for (const message of messages) {
      try {
        reencoder.visitLeaves(message.type, message.fields, undefined, measure);
      } catch {
        // see above
      }
    }
  }
  let maxError = 0;
  for (const leaf of leaves) {
    leaf.maxError = errors.get(leaf.path) ?? 0;
    if (leaf.maxError > maxError) maxError = leaf.maxError;
  }
  return { specs, leaves, maxError };
}
