import type { SpikeCause } from "./cause-timeline.js";
import { round3 } from "./cause-timeline.js";
import { poissonUpperTailLog10, surpriseToScore } from "./significance.js";

/**
 * Server-log events binned by type over a bounded history (default 100 ms ×
 * 100 bins, at most 32 types), with whole-capture totals, so any event type
 * (`gc_pause`, `map_change`, ...) can be tested as a spike cause: how many
 * more events fall near the spike than the type's background rate predicts.
 */
export class LogEventTimeline {
  private readonly binUs: number;
  private readonly historyBins: number;
  private readonly lookbackUs: number;
  private readonly lookaheadUs: number;
  private readonly rings = new Map<string, Float64Array>();
  private readonly totals = new Map<string, number>();
  private currentBin = Number.NaN;
  private firstBin = Number.NaN;
  /** Event types beyond the tracked maximum (counted, not scored). */
  untrackedEvents = 0;

  constructor(
    binMs = 100,
    historyBins = 100,
    lookbackMs = 1000,
    lookaheadMs = 500,
    private readonly maxTypes = 32,
  ) {
    this.lookaheadUs = lookaheadMs * 1000;
    this.binUs = binMs * 1000;
    this.historyBins = historyBins;
    this.lookbackUs = lookbackMs * 1000;
  }

  /** Moves the clock forward to `tUs`. */
  advance(tUs: number): void {
    const bin = Math.floor(tUs / this.binUs);
    if (Number.isNaN(this.currentBin)) {
      this.currentBin = bin;
      this.firstBin = bin;
      return;
    }
    if (bin <= this.currentBin) return;
    const cleared = Math.min(bin - this.currentBin, this.historyBins);
    for (let step = 1; step <= cleared; step++) {
      const slot = this.slot(this.currentBin + step);
      for (const ring of this.rings.values()) ring[slot] = 0;
    }
    this.currentBin = bin;
  }

  /** Records one event of `type` at `tUs`. */
  add(tUs: number, type: string): void {
    this.advance(tUs);
    let ring = this.rings.get(type);
    if (ring === undefined) {
      if (this.rings.size >= this.maxTypes) {
        this.untrackedEvents += 1;
        return;
      }
      ring = new Float64Array(this.historyBins);
      this.rings.set(type, ring);
    }
    const bin = Math.floor(tUs / this.binUs);
    if (bin > this.currentBin - this.historyBins) ring[this.slot(bin)] += 1;
    this.totals.set(type, (this.totals.get(type) ?? 0) + 1);
  }

  /** One `serverLogEvent` cause per event type over-represented in `[start − lookback, end + lookahead]`. */
  scoreSpike(startUs: number, endUs: number): SpikeCause[] {
    if (Number.isNaN(this.currentBin)) return [];
    const first = Math.max(Math.floor((startUs - this.lookbackUs) / this.binUs), this.currentBin - this.historyBins + 1);
    const last = Math.min(Math.floor((endUs + this.lookaheadUs) / this.binUs), this.currentBin);
    const windowBins = last - first + 1;
    if (windowBins <= 0) return [];
    const startBin = Math.floor(startUs / this.binUs);
    const totalBins = this.currentBin - this.firstBin + 1;
    const causes: SpikeCause[] = [];
    for (const type of [...this.rings.keys()].sort()) {
      const ring = this.rings.get(type)!;
      let observed = 0;
      let firstEventBin = Number.NaN;
      for (let bin = first; bin <= last; bin++) {
        const value = ring[this.slot(bin)];
        observed += value;
        if (value > 0 && Number.isNaN(firstEventBin)) firstEventBin = bin;
      }
      if (observed === 0) continue;
      const backgroundBins = Math.max(1, totalBins - windowBins);
      const expected = Math.max(((this.totals.get(type)! - observed) / backgroundBins) * windowBins, 1e-3);
      const surprise = -poissonUpperTailLog10(observed, expected);
      if (surprise <= 0) continue;
      causes.push({
        kind: "serverLogEvent",
        score: surpriseToScore(surprise),
        surprise,
        lagMs: ((firstEventBin - startBin) * this.binUs) / 1000,
        evidence: { eventType: type, events: observed, eventsExpected: round3(expected) },
      });
    }
    return causes;
  }

  private slot(bin: number): number {
    return ((bin % this.historyBins) + this.historyBins) % this.historyBins;
  }
}
