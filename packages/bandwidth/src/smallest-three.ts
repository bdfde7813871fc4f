import type { FieldValue } from "@tickscope/core";
import type { Reencoder, SmallestThreeSpec } from "./reencoder.js";
import { bitsFor, toleranceFor } from "./quantization.js";
import type { RetainedMessage } from "./trace.js";

const RANGE = Math.SQRT1_2;

/**
 * Smallest-three code of a unit quaternion: index of the largest component
 * (its sign made positive, since q and −q are the same rotation) and the three
 * others quantized in [−1/√2, 1/√2].
 */
export function smallestThreeCode(components: readonly number[], spec: SmallestThreeSpec): [number, number, number, number] {
  let largest = 0;
  for (let index = 1; index < 4; index++) if (Math.abs(components[index]!) > Math.abs(components[largest]!)) largest = index;
  const sign = components[largest]! < 0 ? -1 : 1;
  const maximum = 2 ** spec.bits - 1;
  const step = (2 * RANGE) / maximum;
  const code: [number, number, number, number] = [largest, 0, 0, 0];
  let slot = 1;
  for (let index = 0; index < 4; index++) {
    if (index === largest) continue;
    const integer = Math.round((sign * components[index]! + RANGE) / step);
    code[slot++] = integer < 0 ? 0 : integer > maximum ? maximum : integer;
  }
  return code;
}

/** Quaternion components a receiver rebuilds from a smallest-three code. */
export function smallestThreeComponents(code: readonly number[], spec: SmallestThreeSpec): [number, number, number, number] {
  const step = (2 * RANGE) / (2 ** spec.bits - 1);
  const result: [number, number, number, number] = [0, 0, 0, 0];
  let slot = 1;
  let sum = 0;
  for (let index = 0; index < 4; index++) {
    if (index === code[0]) continue;
    const value = -RANGE + code[slot++]! * step;
    result[index] = value;
    sum += value * value;
  }
  result[code[0]!] = Math.sqrt(Math.max(0, 1 - sum));
  return result;
}

/** Quaternions found in a window and the smallest-three encoding chosen for them. */
export interface QuaternionPlan {
  /** Spec per struct path. */
  specs: Map<string, SmallestThreeSpec>;
  /** Largest component error measured (against the sign-adjusted original). */
  maxError: number;
}

/**
 * Finds structs of exactly four float fields whose every observed value is a
 * unit quaternion (|q| = 1 ± 0.001), and measures the smallest-three encoding
 * with a per-component step of 2/3 of the tolerance (so the rebuilt largest
 * component also stays within it, to first order).
 */
export function detectQuaternions(
  messages: readonly RetainedMessage[],
  reencoder: Reencoder,
  tolerances: ReadonlyMap<string, number>,
  defaultTolerance: number,
): QuaternionPlan {
  const candidates = new Map<string, string[]>();
  for (const type of new Set(messages.map((message) => message.type))) {
    const leaves = reencoder.leaves(type);
    if (leaves === undefined) continue;
    const byParent = new Map<string, typeof leaves[number][]>();
    for (const leaf of leaves) {
      const dot = leaf.path.lastIndexOf(".");
      const parent = dot < 0 ? "" : leaf.path.slice(0, dot);
      const list = byParent.get(parent) ?? [];
      list.push(leaf);
      byParent.set(parent, list);
    }
    for (const [parent, list] of byParent) {
      const nested = leaves.some((leaf) => leaf.path.startsWith(`${parent}.`) && !list.includes(leaf));
      if (parent !== "" && list.length === 4 && !nested && list.every((leaf) => leaf.kind === "float32" || leaf.kind === "float64" || leaf.kind === "quantized")) {
        candidates.set(parent, list.map((leaf) => leaf.path.slice(parent.length + 1)));
      }
    }
  }
  const specs = new Map<string, SmallestThreeSpec>();
  if (candidates.size === 0) return { specs, maxError: 0 };
  const unit = new Map<string, boolean>();
  const buffers = new Map<string, number[]>();
  const visit = (path: string, _bits: number, _changed: boolean, value: FieldValue | undefined): void => {
    const dot = path.lastIndexOf(".");
    const parent = dot < 0 ? "" : path.slice(0, dot);
    if (!candidates.has(parent) || unit.get(parent) === false) return;
    const buffer = buffers.get(parent) ?? [];
    buffers.set(parent, buffer);
    buffer.push(typeof value === "number" ? value : Number.NaN);
    if (buffer.length === 4) {
      const norm = Math.hypot(buffer[0]!, buffer[1]!, buffer[2]!, buffer[3]!);
      unit.set(parent, Math.abs(norm - 1) <= 1e-3);
      buffer.length = 0;
    }
  };
  for (const message of messages) {
    try {
      reencoder.visitLeaves(message.type, message.fields, undefined, visit);
    } catch {
      // counted by the trials
    }
  }
  for (const [parent, fields] of candidates) {
    if (unit.get(parent) !== true) continue;
    const tolerance = toleranceFor(parent, tolerances, defaultTolerance);
    const step = (2 * tolerance) / 3;
    specs.set(parent, { fields: fields as [string, string, string, string], bits: Math.min(30, bitsFor(Math.ceil((2 * RANGE) / step) + 1)) });
  }
  // Measure the error on every retained quaternion.
  let maxError = 0;
  const measure = (path: string, _bits: number, _changed: boolean, value: FieldValue | undefined): void => {
    const dot = path.lastIndexOf(".");
    const parent = dot < 0 ? "" : path.slice(0, dot);
    const spec = specs.get(parent);
    if (spec === undefined) return;
    const buffer = buffers.get(parent)!;
    buffer.push(value as number);
    if (buffer.length === 4) {
      const rebuilt = smallestThreeComponents(smallestThreeCode(buffer, spec), spec);
      const largest = smallestThreeCode(buffer, spec)[0];
      const sign = buffer[largest]! < 0 ? -1 : 1;
      for (let index = 0; index < 4; index++) maxError = Math.max(maxError, Math.abs(rebuilt[index]! - sign * buffer[index]!));
      buffer.length = 0;
    }
  };
  for (const buffer of buffers.values()) buffer.length = 0;
  for (const message of messages) {
    try {
      reencoder.visitLeaves(message.type, message.fields, undefined, measure);
    } catch {
      // counted by the trials
    }
  }
  return { specs, maxError };
}
