import { Type, type Static } from "@sinclair/typebox";
import type { ErrorCodeValue } from "./errors.js";

/** How many first packet indices an {@link AnomalyCounter} keeps per code. */
export const DEFAULT_ANOMALY_EXAMPLES = 5;

/** Anomalies by code: count and the first few packet indices (or byte offsets). */
export const AnomalySummarySchema = Type.Record(
  Type.String(),
  Type.Object({ count: Type.Integer({ minimum: 0 }), examples: Type.Array(Type.Number()) }),
);

/** Anomalies by code: count and the first few packet indices (or byte offsets). */
export type AnomalySummary = Static<typeof AnomalySummarySchema>;

/**
 * Counts anomalies (damage that did not stop processing) by stable code, keeping
 * the first few locations of each so a human can find them. Memory is bounded:
 * at most `examplesPerCode` locations per code.
 */
export class AnomalyCounter {
  private readonly entries = new Map<string, { count: number; examples: number[] }>();

  constructor(private readonly examplesPerCode: number = DEFAULT_ANOMALY_EXAMPLES) {}

  /** Records one anomaly of `code` at `location` (a packet index or byte offset). */
  add(code: ErrorCodeValue | string, location: number): void {
    let entry = this.entries.get(code);
    if (entry === undefined) {
      entry = { count: 0, examples: [] };
      this.entries.set(code, entry);
    }
    entry.count += 1;
    if (entry.examples.length < this.examplesPerCode) entry.examples.push(location);
  }

  /** Count for one code (0 when never seen). */
  count(code: ErrorCodeValue | string): number {
    return this.entries.get(code)?.count ?? 0;
  }

  /** Total count over all codes. */
  get total(): number {
    let sum = 0;
    for (const entry of this.entries.values()) sum += entry.count;
    return sum;
  }

  /** Adds every count of another counter into this one. */
  merge(other: AnomalyCounter): void {
    for (const [code, entry] of other.entries) {
      const mine = this.entries.get(code) ?? { count: 0, examples: [] };
      mine.count += entry.count;
      for (const example of entry.examples) {
        if (mine.examples.length < this.examplesPerCode) mine.examples.push(example);
      }
      this.entries.set(code, mine);
    }
  }

  /** Counts only, keyed by code, codes sorted (deterministic JSON). */
  toCounts(): Record<string, number> {
    const result: Record<string, number> = {};
    for (const code of [...this.entries.keys()].sort()) result[code] = this.entries.get(code)!.count;
    return result;
  }

  /** Counts with example locations, keyed by code, codes sorted. */
  toSummary(): AnomalySummary {
    const result: AnomalySummary = {};
    for (const code of [...this.entries.keys()].sort()) {
      const entry = this.entries.get(code)!;
      result[code] = { count: entry.count, examples: [...entry.examples] };
    }
    return result;
  }
}
