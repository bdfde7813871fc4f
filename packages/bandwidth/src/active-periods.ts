import { DEFAULT_IDLE_GAP_US, MINIMUM_ACTIVE_PERIOD_US } from "@tickscope/core";

/** Most active periods kept by {@link ActivePeriods} (the oldest are folded together beyond it). */
export const MAX_ACTIVE_PERIODS = 4096;

/**
 * Core's `ActiveSpan` rule (periods split at silences over
 * {@link DEFAULT_IDLE_GAP_US}, each counting at least
 * {@link MINIMUM_ACTIVE_PERIOD_US}) with the periods kept, so that two
 * passes over disjoint sessions (or consecutive files) merge into the periods
 * of one pass: the union's silences are exactly the gaps over the idle gap
 * between the sorted, joined periods of both. At most
 * {@link MAX_ACTIVE_PERIODS} periods are kept (a capture with more silences
 * over 120 s than that folds its oldest periods into one, which then spans
 * the silences between them).
 */
export class ActivePeriods {
  /** Closed periods as [startUs, endUs], in time order. */
  private periods: [number, number][] = [];
  private previousUs = Number.NaN;
  private startUs = Number.NaN;
  private endUs = Number.NaN;

  /** Adds one packet time (arrival order). Non-finite times are ignored. */
  add(tUs: number): void {
    if (!Number.isFinite(tUs)) return;
    if (Number.isNaN(this.previousUs)) {
      this.startUs = tUs;
      this.endUs = tUs;
    } else if (Math.abs(tUs - this.previousUs) > DEFAULT_IDLE_GAP_US) {
      this.periods.push([this.startUs, this.endUs]);
      if (this.periods.length > MAX_ACTIVE_PERIODS) this.foldOldest();
      this.startUs = tUs;
      this.endUs = tUs;
    } else {
      if (tUs < this.startUs) this.startUs = tUs;
      if (tUs > this.endUs) this.endUs = tUs;
    }
    this.previousUs = tUs;
  }

  private foldOldest(): void {
    const [first, second] = [this.periods[0]!, this.periods[1]!];
    this.periods.splice(0, 2, [Math.min(first[0], second[0]), Math.max(first[1], second[1])]);
  }

  /** Every period (closed and open), in the order they were found. */
  list(): [number, number][] {
    return Number.isNaN(this.previousUs) ? [...this.periods] : [...this.periods, [this.startUs, this.endUs]];
  }

  /** Active time, µs: the periods' spans, each at least 1 s (0 when empty). */
  get activeUs(): number {
    let total = 0;
    for (const [start, end] of this.list()) total += Math.max(end - start, MINIMUM_ACTIVE_PERIOD_US);
    return total;
  }

  /** Silences over the idle gap left out. */
  get idleGaps(): number {
    return Math.max(0, this.list().length - 1);
  }

  /**
   * Replaces the periods with the union of these and `other`'s periods:
   * sorted by start, joined where they overlap or lie within the idle gap of
   * each other. Afterwards the span is closed (no packet is added after a merge).
   */
  merge(other: readonly (readonly [number, number])[]): void {
    const all = [...this.list(), ...other.map(([start, end]): [number, number] => [start, end])].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const joined: [number, number][] = [];
    for (const period of all) {
      const last = joined[joined.length - 1];
      if (last !== undefined && period[0] - last[1] <= DEFAULT_IDLE_GAP_US) {
        if (period[1] > last[1]) last[1] = period[1];
      } else {
        joined.push([period[0], period[1]]);
      }
    }
    while (joined.length > MAX_ACTIVE_PERIODS) {
      const [first, second] = [joined[0]!, joined[1]!];
      joined.splice(0, 2, [first[0], Math.max(first[1], second[1])]);
    }
    this.periods = joined;
    this.previousUs = Number.NaN;
    this.startUs = Number.NaN;
    this.endUs = Number.NaN;
  }
}
