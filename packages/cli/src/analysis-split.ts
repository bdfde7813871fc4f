import type { AnalysisName } from "./analysis-section.js";
import { analysisCost, estimateAnalysisSeconds, WORKER_START_SECONDS, type AnalysisShardOptions, type AnalysisShardPlan } from "./analysis-sharding.js";

/**
 * Part of one analysis's sessions analyzed by the other thread of a two-thread
 * analysis cut: both threads run the analysis, each on its share of the
 * sessions (dealt in the order they appear, the same in every thread: see
 * {@link sessionGoesToMain}), and the worker's saved state merges into the
 * main thread's analyzer, which builds the section — exactly the section of a
 * single-threaded run, as the session cut's merge is.
 */
export interface AnalysisSplit {
  /** The analysis both threads run. */
  analysis: AnalysisName;
  /** Share of the sessions the main thread analyzes (strictly between 0 and 1); the worker takes the rest. */
  mainShare: number;
}

/**
 * CPU seconds the split itself costs, whatever the capture: the worker saves
 * the analysis's state (transfer form), the structured clone to the main
 * thread, and the merge there. Sessions' states are small next to their
 * analysis (recent windows and sketches).
 */
export const SPLIT_MERGE_SECONDS = 0.05;

/**
 * What a share of an analysis costs on the thread it moves to, relative to its
 * cost on its own thread: a session's state competes there with other
 * analyses' for the caches, and the analysis's shared tables, code and
 * branches are warm for fewer sessions. Measured on the 223 MB arena capture
 * (bundle, profiles of both threads): 20% of loss's sessions moved from the
 * main thread to the latency + anticheat worker took 0.35 s off the main
 * thread and added 0.55 s of loss (0.8 s in all) to the worker; 10% of
 * anticheat moved the other way cost 0.34 s for work worth about 0.17 s.
 */
export const SPLIT_COST_FACTOR = 2;

/** A split must shorten the estimated run by at least this much (the estimate's own error is larger below; the same bar as another worker's). */
export const MINIMUM_SPLIT_GAIN_SECONDS = 0.25;

/** Neither thread takes less than this share of a split analysis's sessions (a sliver gains nothing measurable). */
export const MINIMUM_SPLIT_SHARE = 0.05;

/**
 * Whether the session with ordinal `ordinal` (0-based, in the order sessions
 * appear) goes to the main thread when it takes `mainShare` of them: the
 * sessions are dealt evenly (the main thread takes session `k` when
 * `⌊(k + 1)·share⌋ > ⌊k·share⌋`), so a share of ⅓ gives it every third session.
 */
export function sessionGoesToMain(ordinal: number, mainShare: number): boolean {
  return Math.floor((ordinal + 1) * mainShare) > Math.floor(ordinal * mainShare);
}

/**
 * The split that best evens out a two-thread analysis cut, or undefined when
 * none shortens its estimated run by {@link MINIMUM_SPLIT_GAIN_SECONDS}. An
 * analysis of the longer thread's shard may be split when it is in
 * `splittable` (its state merges exactly across disjoint sessions): the
 * per-gigabyte part of its cost ({@link ANALYSIS_COSTS}) divides by the share of
 * sessions, the share moved to the other thread at {@link SPLIT_COST_FACTOR}
 * times the price; its fixed part (the finish, on the merged state) and
 * {@link SPLIT_MERGE_SECONDS} go to the main thread, and the worker starts
 * {@link WORKER_START_SECONDS} later. The estimate assumes
 * sessions of like size; a wrong one costs speed, never correctness.
 */
export function planAnalysisSplit(plan: AnalysisShardPlan, splittable: readonly AnalysisName[], options: AnalysisShardOptions): AnalysisSplit | undefined {
  if (plan.shards.length !== 2) return undefined;
  const gigabytes = options.captureBytes / 1e9;
  const withDefinition = options.withDefinition ?? true;
  const labelled = options.regionsLabelled ?? true;
  const [main, worker] = plan.shards as [AnalysisShardPlan["shards"][number], AnalysisShardPlan["shards"][number]];
  const longest = Math.max(main.estimatedSeconds, worker.estimatedSeconds + WORKER_START_SECONDS);
  let best: { split: AnalysisSplit; seconds: number } | undefined;
  for (const [index, shard] of [main, worker].entries()) {
    if (shard.estimatedSeconds + (index === 1 ? WORKER_START_SECONDS : 0) < longest) continue;
    for (const analysis of shard.analyses) {
      if (!splittable.includes(analysis)) continue;
      const total = estimateAnalysisSeconds(analysis, gigabytes, withDefinition, labelled);
      const perGigabyte = analysisCost(analysis, labelled).secondsPerGigabyte * gigabytes;
      const fixed = total - perGigabyte;
      if (!(perGigabyte > 0)) continue;
      // Each thread without the analysis, then its shares: main gets the fixed part and the merge.
      const mainBase = main.estimatedSeconds - (index === 0 ? total : 0) + fixed + SPLIT_MERGE_SECONDS;
      // (the worker starts that much later)
      const workerBase = worker.estimatedSeconds - (index === 1 ? total : 0) + WORKER_START_SECONDS;
      // The share the analysis's own thread keeps costs P per unit, the moved share SPLIT_COST_FACTOR·P:
      // home = own·P, away = f·(1 − own)·P; the split evens mainBase + main part with workerBase + worker part.
      const factor = SPLIT_COST_FACTOR;
      const mainCost = (share: number): number => (index === 0 ? share : factor * share) * perGigabyte;
      const workerCost = (share: number): number => (index === 1 ? 1 - share : factor * (1 - share)) * perGigabyte;
      // mainBase + mainCost(s) = workerBase + workerCost(s), both linear in s
      const slope = mainCost(1) - mainCost(0) - (workerCost(1) - workerCost(0));
      const exact = (workerBase + workerCost(0) - mainBase - mainCost(0)) / slope;
      const share = Math.min(1 - MINIMUM_SPLIT_SHARE, Math.max(MINIMUM_SPLIT_SHARE, exact));
      const seconds = Math.max(mainBase + mainCost(share), workerBase + workerCost(share));
      if (seconds <= longest - MINIMUM_SPLIT_GAIN_SECONDS && (best === undefined || seconds < best.seconds)) best = { split: { analysis, mainShare: share }, seconds };
    }
  }
  return best?.split;
}
