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

/** A split must shorten the estimated run by at least this much (the estimate's own error is larger below). */
export const MINIMUM_SPLIT_GAIN_SECONDS = 0.1;

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
 * sessions; its fixed part (the finish, on the merged state) and
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
      // mainBase + share·P = workerBase + (1 − share)·P
      const share = Math.min(1 - MINIMUM_SPLIT_SHARE, Math.max(MINIMUM_SPLIT_SHARE, (workerBase - mainBase + perGigabyte) / (2 * perGigabyte)));
      const seconds = Math.max(mainBase + share * perGigabyte, workerBase + (1 - share) * perGigabyte);
      if (seconds <= longest - MINIMUM_SPLIT_GAIN_SECONDS && (best === undefined || seconds < best.seconds)) best = { split: { analysis, mainShare: share }, seconds };
    }
  }
  return best?.split;
}
