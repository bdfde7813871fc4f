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
  /**
   * Every numeric value seen (NaN aside: its quantization error is never a maximum) per leaf path, any type: a
   * quantization's error is measured on them instead of walking the messages again ({@link deriveQuantization}).
   */
  values: Map<string, number[]>;
}

/** Per-leaf state of {@link observeRanges} for one message type, by the visitor's leaf index. */
interface TypeLeafSlots {
  /** The leaf's range (shared by every type with its path), once it has one. */
  ranges: (LeafRange | undefined)[];
  /** The leaf's counter statistics (top-level leaves; shared by every type with its path). */
  counters: (CounterStatistics | undefined)[];
  /** 1: a top-level leaf (no `[]` in its path), 2: not, absent: not known yet. */
  topLevel: number[];
  /** The leaf's value list (shared by every type with its path). */
  values: (number[] | undefined)[];
}

/** How often a top-level leaf rose and fell from one message of its stream to the next. */
interface CounterStatistics {
  compared: number;
  increasing: number;
  decreasing: number;
}

/**
 * Records each numeric leaf's range (and which top-level integer leaves behave
 * like counters) from leaf visits: call {@link RangeObserver.begin} with each
 * message, in order, then visit its leaves with {@link RangeObserver.visit}
 * (alone, or from another visitor of the same walk: the previous message a walk
 * compares with does not matter here).
 */
export class RangeObserver {
  private readonly ranges = new Map<string, LeafRange>();
  private readonly counters = new Map<string, CounterStatistics>();
  // Last value of each top-level leaf, per stream then path (no key string built per leaf); a stream is of one
  // type, so with the visitor's leaf index (one per path of the type) an array by index stands for the path map.
  private readonly previousByStream = new Map<string, Map<string, number>>();
  private readonly previousSlotsByStream = new Map<string, (number | undefined)[]>();
  private readonly slotsByType = new Map<string, TypeLeafSlots>();
  private readonly values = new Map<string, number[]>();
  private previous = new Map<string, number>();
  private previousSlots: (number | undefined)[] = [];
  private slots: TypeLeafSlots = { ranges: [], counters: [], topLevel: [], values: [] };
  private currentType = "";

  constructor(private readonly reencoder: Reencoder) {}

  /** Makes `message` the one whose leaves are visited next. */
  begin(message: RetainedMessage): void {
    if (message.type !== this.currentType || this.slotsByType.size === 0) {
      this.currentType = message.type;
      let typeSlots = this.slotsByType.get(message.type);
      if (typeSlots === undefined) {
        typeSlots = { ranges: [], counters: [], topLevel: [], values: [] };
        this.slotsByType.set(message.type, typeSlots);
      }
      this.slots = typeSlots;
    }
    const streamKey = message.streamKey ?? `${message.sessionId}\u0000${message.direction}\u0000${message.type}`;
    let streamPrevious = this.previousByStream.get(streamKey);
    let streamSlots = this.previousSlotsByStream.get(streamKey);
    if (streamPrevious === undefined || streamSlots === undefined) {
      streamPrevious = new Map();
      streamSlots = [];
      this.previousByStream.set(streamKey, streamPrevious);
      this.previousSlotsByStream.set(streamKey, streamSlots);
    }
    this.previous = streamPrevious;
    this.previousSlots = streamSlots;
  }

  /** The leaf visitor (a bound function: pass it as it is). */
  readonly visit = (path: string, bits: number, _changed: boolean, value: FieldValue | undefined, leafIndex?: number): void => {
    const number = toNumber(value);
    if (number === undefined) return;
    const slots = this.slots;
    const slot = leafIndex !== undefined && leafIndex >= 0 ? leafIndex : -1;
    if (number === number) {
      let list = slot < 0 ? undefined : slots.values[slot];
      if (list === undefined) {
        list = this.values.get(path);
        if (list === undefined) {
          list = [];
          this.values.set(path, list);
        }
        if (slot >= 0) slots.values[slot] = list;
      }
      list.push(number);
    }
    if (!Number.isFinite(number)) return;
    let topLevel = slot < 0 ? 0 : slots.topLevel[slot];
    if (topLevel === undefined || topLevel === 0) {
      topLevel = path.includes("[]") ? 2 : 1;
      if (slot >= 0) slots.topLevel[slot] = topLevel;
    }
    if (topLevel === 1) {
      let prior: number | undefined;
      if (slot >= 0) {
        prior = this.previousSlots[slot];
        this.previousSlots[slot] = number;
      } else {
        prior = this.previous.get(path);
        this.previous.set(path, number);
      }
      let counter = slot < 0 ? undefined : slots.counters[slot];
      if (counter === undefined) {
        counter = this.counters.get(path);
        if (counter === undefined) {
          counter = { compared: 0, increasing: 0, decreasing: 0 };
          this.counters.set(path, counter);
        }
        if (slot >= 0) slots.counters[slot] = counter;
      }
      if (prior !== undefined) {
        counter.compared += 1;
        if (number > prior) counter.increasing += 1;
        else if (number < prior) counter.decreasing += 1;
      }
    }
    let range = slot < 0 ? undefined : slots.ranges[slot];
    if (range === undefined) {
      range = this.ranges.get(path);
      if (range === undefined) {
        const type = this.currentType;
        const leaf = this.reencoder.leaves(type)?.find((candidate) => candidate.path === path);
        if (leaf === undefined || leaf.kind === "bool" || leaf.kind === "bytes") return;
        range = { type, path, kind: leaf.kind, bits, min: number, max: number, count: 0 };
        this.ranges.set(path, range);
      }
      if (slot >= 0) slots.ranges[slot] = range;
    }
    if (number < range.min) range.min = number;
    if (number > range.max) range.max = number;
    range.count += 1;
  };

  /** The ranges observed so far. */
  result(): ObservedRanges {
    const counterPaths = new Set<string>();
    for (const [path, counter] of this.counters) {
      // Sequence numbers, ticks, event ids: they grow past any range observed in a window.
      if (counter.compared >= 3 && counter.increasing >= 0.5 * counter.compared && counter.decreasing <= 0.05 * counter.compared) counterPaths.add(path);
    }
    return { ranges: this.ranges, counterPaths, values: this.values };
  }
}

/** Walks the retained messages once and records each numeric leaf's range (see {@link RangeObserver}). */
export function observeRanges(messages: readonly RetainedMessage[], reencoder: Reencoder): ObservedRanges {
  const observer = new RangeObserver(reencoder);
  for (const message of messages) {
    observer.begin(message);
    try {
      reencoder.visitLeaves(message.type, message.fields, undefined, observer.visit);
    } catch {
      // Messages the re-encoder cannot walk are counted as encode failures by the trials.
    }
  }
  return observer.result();
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
  // Measure the error actually introduced on every retained value: the values the observation kept
  // (every numeric leaf value of the retained messages, NaN aside — its error is never a maximum).
  const errors = new Map<string, number>();
  for (const [path, spec] of specs) {
    const list = observed.values.get(path);
    if (list === undefined) continue;
    let worst = 0;
    for (let index = 0; index < list.length; index++) {
      const number = list[index]!;
      const error = Math.abs(dequantizeValue(quantizeValue(number, spec), spec) - number);
      if (error > worst) worst = error;
    }
    if (worst > 0) errors.set(path, worst);
  }
  let maxError = 0;
  for (const leaf of leaves) {
    leaf.maxError = errors.get(leaf.path) ?? 0;
    if (leaf.maxError > maxError) maxError = leaf.maxError;
  }
  return { specs, leaves, maxError };
}
