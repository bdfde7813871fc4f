import type { AnalysisName } from "./analysis-section.js";

/**
 * CPU seconds per gigabyte of capture that each thread of `analyze --threads`
 * spends before any analysis: reading, framing, session tracking and decoding.
 * Every shard pays it (each thread reads and decodes the captures itself).
 * Measured as `analyze --only regions --threads 1` without region labels (the
 * bare pass: regions only counts sessions then) minus the process start (0.14 s)
 * and regions' own 0.02 s, the bundled CLI, median of 3: 1.12 s on a simulated
 * 100-player × 120 s arena capture (223 MB); 0.48 s on the 60-player × 60 s one
 * (67 MB: the protocol's loading is a fixed part). Round 6 (roles-only decode
 * with reused entity roles, the capture's flow cache and read-ahead); 1.32 s
 * the round before.
 */
export const PASS_SECONDS_PER_GIGABYTE = 5.0;

/** The measured CPU cost of one analysis on top of the pass: a fixed part and a part per gigabyte of capture. */
export interface AnalysisCost {
  /** Seconds whatever the capture size, with a protocol definition (bandwidth's re-encoding trials run on a bounded sample). */
  fixedSeconds: number;
  /** Seconds without a protocol definition (nothing to re-encode). */
  fixedSecondsWithoutDefinition: number;
  /** Seconds per gigabyte of capture. */
  secondsPerGigabyte: number;
}

/**
 * CPU cost of each analysis alone minus the pass: `analyze --only <analysis>
 * --threads 1` (the bundled CLI, user + sys, quiet machine) minus the same run
 * with `--only regions` and no region label (the pass, see
 * {@link PASS_SECONDS_PER_GIGABYTE}), median of 3 (round 6; the machine ran
 * tshark about 20% slower than in earlier rounds, and only the ratios matter).
 * On the 223 MB arena capture: bandwidth +2.68 s, latency +1.95, loss +1.68,
 * anticheat +1.26, regions +2.85 (every session labelled with
 * `--server-region`); on the 67 MB one: bandwidth +2.29, latency +0.81, loss
 * +0.52, anticheat +0.52, regions +0.83. The per-gigabyte parts are the slopes
 * between the two, the fixed parts what is left at 67 MB (bandwidth's
 * re-encoding trials on its bounded sample: 2.1 s; latency 0.3 s, anticheat
 * 0.2 s, the others about nothing). All five together on one thread cost 25%
 * more than the sum alone (each evicts the others' state from the caches), and
 * not evenly: in a profile of the default two-thread run latency and loss took
 * about 12% more than alone (their per-gigabyte parts here are raised by that:
 * 7.3 and 7.4 measured alone), bandwidth and anticheat about their own. With
 * these, the 223 MB capture is split {bandwidth, anticheat, regions} |
 * {latency, loss}: 5.58–5.82 s, against 6.11–6.36 s for {bandwidth, anticheat}
 * | {latency, loss, regions} and 5.90–6.52 s for last round's {bandwidth, loss,
 * regions} | {latency, anticheat} (three runs each, back to back); the 1 GB one
 * {latency, bandwidth, regions} | {loss, anticheat}: 20.0–20.7 s. Round 7 cut the decode (both
 * threads) and left these costs in proportion: the same split stays the fastest on 223 MB, 4.45–4.65 s
 * against 4.62–4.80 s ({bandwidth, loss, regions} | {latency, anticheat}) and 4.74–4.94 s
 * ({latency, bandwidth, regions} | {loss, anticheat}); the 1 GB capture takes 14.6 s. Regions without any region label is
 * {@link UNLABELLED_REGIONS_COST}. Without a definition bandwidth's trials do
 * not run (firefall_1869 without its definition: +0.5 s, earlier measurement).
 * Only their ratios matter to the balance; they shift with the protocol, the
 * traffic and the code, and a wrong estimate costs speed, never correctness.
 */
export const ANALYSIS_COSTS: Readonly<Record<AnalysisName, AnalysisCost>> = {
  latency: { fixedSeconds: 0.3, fixedSecondsWithoutDefinition: 0.3, secondsPerGigabyte: 8.2 },
  loss: { fixedSeconds: 0.05, fixedSecondsWithoutDefinition: 0.05, secondsPerGigabyte: 8.3 },
  bandwidth: { fixedSeconds: 2.1, fixedSecondsWithoutDefinition: 0.5, secondsPerGigabyte: 2.5 },
  anticheat: { fixedSeconds: 0.2, fixedSecondsWithoutDefinition: 0.2, secondsPerGigabyte: 4.7 },
  regions: { fixedSeconds: 0.05, fixedSecondsWithoutDefinition: 0.05, secondsPerGigabyte: 12.9 },
};

/**
 * Regions when no session can have a region label (no `--region`,
 * `--server-region`, configured labels nor server log): every session is
 * counted, not measured. Measured as {@link ANALYSIS_COSTS} without `--region`:
 * +0.02 s on both arena captures.
 */
export const UNLABELLED_REGIONS_COST: AnalysisCost = { fixedSeconds: 0.02, fixedSecondsWithoutDefinition: 0.02, secondsPerGigabyte: 0.1 };

/**
 * What starting one more worker thread costs regardless of the capture: the
 * thread, its module graph (the bundled CLI) and its copy of the protocol; its
 * shard starts that much later. Measured with the bundle: an empty capture
 * with firefall.json, `--threads 2` minus `--threads 1`, 0.09 s wall (median of
 * 5, load 4–5; 0.23 s before the bundle).
 */
export const WORKER_START_SECONDS = 0.1;

/**
 * How much shorter the estimated run must be for the automatic mode to start
 * another worker: on firefall_1869 a worker saved nothing measurable and cost
 * 0.3 s of CPU and 30–50 MB, so an estimated gain of a few hundredths is not
 * taken.
 */
export const MINIMUM_GAIN_SECONDS = 0.25;

/**
 * Capture size from which the fixed parts are paid in full: bandwidth re-encodes
 * a bounded sample of the messages (100,000 messages or 2 M leaf values), all of
 * a smaller capture, so below this size its trials cost in proportion to the
 * size. Fitted to firefall_1869 (5.2 MB with its definition: bandwidth +0.58 s
 * of CPU over the pass, first measured as 0.23 of a 2.32 s fixed part), which
 * keeps that capture on one thread by default: two threads are slower there
 * (0.85 s wall against 0.79 s, three runs each, after the fixed part fell to 2.0 s).
 */
export const FULL_FIXED_COST_GIGABYTES = 0.022;

/** The measured cost of `analysis` ({@link UNLABELLED_REGIONS_COST} for regions when `regionsLabelled` is false). */
export function analysisCost(analysis: AnalysisName, regionsLabelled = true): AnalysisCost {
  return analysis === "regions" && !regionsLabelled ? UNLABELLED_REGIONS_COST : ANALYSIS_COSTS[analysis];
}

/** Estimated CPU seconds of one analysis on a capture of `gigabytes` (`regionsLabelled`: whether sessions may have region labels; default true). */
export function estimateAnalysisSeconds(analysis: AnalysisName, gigabytes: number, withDefinition: boolean, regionsLabelled = true): number {
  const cost = analysisCost(analysis, regionsLabelled);
  const fixedSeconds = (withDefinition ? cost.fixedSeconds : cost.fixedSecondsWithoutDefinition) * Math.min(1, gigabytes / FULL_FIXED_COST_GIGABYTES);
  return fixedSeconds + cost.secondsPerGigabyte * gigabytes;
}

/** One thread's share of an analyze run. */
export interface AnalysisShard {
  /** Its analyses, in report order. */
  analyses: AnalysisName[];
  /** Estimated CPU seconds: the shared pass plus its analyses (for the capture size the plan was made for). */
  estimatedSeconds: number;
}

/** How an analyze run is split over threads. */
export interface AnalysisShardPlan {
  /** The shards; the first runs on the main thread, each other one on a worker thread. */
  shards: AnalysisShard[];
  /** Estimated wall seconds of the plan (its slowest shard, plus the workers' start). */
  estimatedSeconds: number;
}

/** Options of {@link planAnalysisShards}. */
export interface AnalysisShardOptions {
  /** Threads at most (the main thread included). */
  maxThreads: number;
  /** Capture bytes of the run (0 when unknown, e.g. stdin). */
  captureBytes: number;
  /**
   * Use exactly `min(maxThreads, analyses)` threads (an explicit `--threads N`);
   * otherwise as many as make the estimated run shortest (no worker for a small capture).
   */
  exact?: boolean;
  /** Whether a protocol definition is given (bandwidth's re-encoding trials run only then). */
  withDefinition?: boolean;
  /** Whether sessions may have region labels (regions measures only labelled ones otherwise: {@link UNLABELLED_REGIONS_COST}). Default true. */
  regionsLabelled?: boolean;
}

/** Longest-processing-time-first split of `analyses` into `count` shards (deterministic). */
function balance(analyses: readonly AnalysisName[], count: number, passSeconds: number, secondsOf: ReadonlyMap<AnalysisName, number>, fixedOf: ReadonlyMap<AnalysisName, number>): AnalysisShard[] {
  const bins = Array.from({ length: count }, () => ({ analyses: [] as AnalysisName[], estimatedSeconds: passSeconds }));
  const heaviestFirst = [...analyses].sort((left, right) => secondsOf.get(right)! - secondsOf.get(left)!);
  for (const analysis of heaviestFirst) {
    let lightest = bins[0]!;
    for (const bin of bins) if (bin.estimatedSeconds < lightest.estimatedSeconds) lightest = bin;
    lightest.analyses.push(analysis);
    lightest.estimatedSeconds += secondsOf.get(analysis)!;
  }
  const order = new Map(analyses.map((analysis, index) => [analysis, index]));
  for (const bin of bins) bin.analyses.sort((left, right) => order.get(left)! - order.get(right)!);
  // The main thread takes the shard with the longest fixed tail (bandwidth's re-encoding trials run in finish(),
  // after the pass): a worker starts later and its sections travel back when it is done. Measured on the 223 MB
  // arena capture: {latency, loss, regions} | {bandwidth, anticheat} 6.89–7.02 s, the same shards the other way
  // round about 6.2 s. Then the lightest (the main thread also assembles the report).
  const tailOf = (bin: { analyses: AnalysisName[] }): number => bin.analyses.reduce((sum, analysis) => sum + fixedOf.get(analysis)!, 0);
  return bins.sort(
    (left, right) => tailOf(right) - tailOf(left) || left.estimatedSeconds - right.estimatedSeconds || order.get(left.analyses[0]!)! - order.get(right.analyses[0]!)!,
  );
}

/**
 * Splits the analyses of one `analyze` run over threads. The cut is by analysis:
 * every thread reads and decodes the captures itself and runs a subset of the
 * analyses, so no analysis state ever crosses a thread and each section is the
 * one a single-threaded run builds. Subsets are balanced by each analysis's
 * measured cost ({@link ANALYSIS_COSTS}) plus the pass every
 * thread repeats ({@link PASS_SECONDS_PER_GIGABYTE}). Without `exact`, a worker is
 * only started when it shortens the estimated run by more than it costs to start
 * ({@link WORKER_START_SECONDS}) plus {@link MINIMUM_GAIN_SECONDS}.
 */
export function planAnalysisShards(analyses: readonly AnalysisName[], options: AnalysisShardOptions): AnalysisShardPlan {
  const gigabytes = options.captureBytes / 1e9;
  const passSeconds = PASS_SECONDS_PER_GIGABYTE * gigabytes;
  const secondsOf = new Map(analyses.map((analysis) => [analysis, estimateAnalysisSeconds(analysis, gigabytes, options.withDefinition ?? true, options.regionsLabelled ?? true)]));
  // each analysis's fixed part (its finish on a bounded sample), what it costs on a capture of no size
  const fixedOf = new Map(analyses.map((analysis) => [analysis, secondsOf.get(analysis)! - analysisCost(analysis, options.regionsLabelled ?? true).secondsPerGigabyte * gigabytes]));
  const most = Math.max(1, Math.min(Math.floor(options.maxThreads), analyses.length));
  const plans: AnalysisShardPlan[] = [];
  for (let count = 1; count <= most; count++) {
    const shards = balance(analyses, count, passSeconds, secondsOf, fixedOf);
    const slowest = Math.max(...shards.map((shard) => shard.estimatedSeconds));
    plans.push({ shards, estimatedSeconds: slowest + (count - 1) * WORKER_START_SECONDS });
  }
  if (options.exact === true) return plans[most - 1]!;
  // one more thread must also pay for the CPU and memory it takes from the rest of the machine
  let best = plans[0]!;
  for (const plan of plans) if (plan.estimatedSeconds < best.estimatedSeconds - MINIMUM_GAIN_SECONDS) best = plan;
  return best;
}

/**
 * CPU seconds per gigabyte that every thread of a session-sharded run repeats:
 * reading, framing and tracking every flow (decoding and the analyses are
 * split). From a CPU profile of the bare pass on the 223 MB arena capture
 * (quiet machine): the capture package and file reads, 0.30 s.
 */
export const READ_SECONDS_PER_GIGABYTE = 1.4;

/**
 * How many threads a session-sharded run uses (the sessions are dealt
 * round-robin over them: each thread decodes and analyzes its share, every
 * thread reads everything): `maxThreads` when `exact`, otherwise as many as
 * make the estimated run shortest by the same costs as {@link planAnalysisShards}
 * (one for a small capture): the per-gigabyte parts of decoding and the
 * analyses split, reading and the analyses' fixed parts (run once, when the
 * merged analyzers finish) do not.
 */
export function planSessionShards(analyses: readonly AnalysisName[], options: AnalysisShardOptions): number {
  const most = Math.max(1, Math.floor(options.maxThreads));
  if (options.exact === true) return most;
  const gigabytes = options.captureBytes / 1e9;
  // reading is repeated by every thread; the analyses' fixed parts run once, in finish() on the merged state
  const labelled = options.regionsLabelled ?? true;
  const fixed = analyses.reduce((sum, analysis) => sum + estimateAnalysisSeconds(analysis, gigabytes, options.withDefinition ?? true, labelled) - analysisCost(analysis, labelled).secondsPerGigabyte * gigabytes, 0);
  const shared = READ_SECONDS_PER_GIGABYTE * gigabytes + fixed;
  const split = Math.max(0, PASS_SECONDS_PER_GIGABYTE - READ_SECONDS_PER_GIGABYTE) * gigabytes + analyses.reduce((sum, analysis) => sum + analysisCost(analysis, labelled).secondsPerGigabyte * gigabytes, 0);
  let best = 1;
  let bestSeconds = shared + split;
  for (let count = 2; count <= most; count++) {
    const seconds = shared + split / count + (count - 1) * WORKER_START_SECONDS;
    if (seconds < bestSeconds - MINIMUM_GAIN_SECONDS) {
      best = count;
      bestSeconds = seconds;
    }
  }
  return best;
}
