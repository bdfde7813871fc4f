import { ErrorCode, TickscopeError } from "@tickscope/core";
import { challengesToFindings, deriveChallenges } from "./challenges.js";
import type { CloudRegion } from "./cloud-regions.js";
import { planPlacement, type PlacementOptions } from "./placement.js";
import { deriveProtocolSettings, type ProtocolSettingsOptions } from "./protocol-settings.js";
import { createSeededRandom, hashString } from "./random.js";
import type { Comparison, ComparisonMetric, RegionFigures, RegionsReport } from "./report-schema.js";
import { analyseRouting } from "./routing.js";
import { normalizeSessionSummary, type NormalizedSession, type ServerSite, type SessionSummary } from "./session-summary.js";
import {
  benjaminiHochbergAdjust,
  bootstrapWaldPValue,
  bootstrapRegion,
  holmAdjust,
  mannWhitneyU,
  percentileInterval,
  quantileOfSorted,
  type RegionBootstrap,
} from "./statistics.js";

/** Options of {@link compareRegions}. */
export interface RegionComparisonOptions {
  /** Seed of the bootstrap PRNG (default 1). */
  seed?: number;
  /** Bootstrap resamples per region (default 1000). */
  bootstrapIterations?: number;
  /** Confidence level of the intervals (default 0.95). */
  confidence?: number;
  /** Significance level after correction (default 0.05). */
  alpha?: number;
  /** Multiple-comparison correction over all comparisons (default Holm). */
  correction?: "holm" | "benjaminiHochberg";
  /** Regions with fewer sessions are described but not tested (default 20). */
  minimumSessionsForComparison?: number;
  /** RTT thresholds of the experience score, ms (default 50, 100, 150). */
  experienceThresholdsMs?: readonly number[];
  /** Server site of each region: a catalogue id (`aws:eu-west-1`) or coordinates. */
  serverSites?: Readonly<Record<string, ServerSite>>;
  /** Catalogue to resolve sites and place servers (default {@link CLOUD_REGIONS}). */
  catalogue?: readonly CloudRegion[];
  /** Placement options, or `false` to skip placement. */
  placement?: PlacementOptions | false;
  /** Protocol-settings derivation options. */
  protocol?: ProtocolSettingsOptions;
}

const METRICS: readonly ComparisonMetric[] = ["rttP50Ms", "rttP95Ms", "jitterMs", "lossRate"];

/** Per-region arrays used by the statistics. */
interface RegionData {
  name: string;
  sessions: NormalizedSession[];
  rttP50Ms: Float64Array;
  jitterMs: Float64Array;
  lossRate: Float64Array;
  lossWeightMs: Float64Array;
  figures: RegionFigures;
  bootstrap: RegionBootstrap | undefined;
}

const round = (value: number, digits = 3): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

const nullable = (value: number, digits = 3): number | null => (Number.isFinite(value) ? round(value, digits) : null);

function sortedOf(values: Iterable<number>): Float64Array {
  return Float64Array.from(values).sort();
}

function describeRegion(name: string, sessions: NormalizedSession[], thresholdsMs: readonly number[]): RegionData {
  const rttP50Ms = Float64Array.from(sessions, (session) => session.rttP50Ms);
  const withJitter = sessions.filter((session) => session.jitterMs !== undefined);
  const withLoss = sessions.filter((session) => session.lossRate !== undefined);
  const jitterMs = Float64Array.from(withJitter, (session) => session.jitterMs!);
  const lossRate = Float64Array.from(withLoss, (session) => session.lossRate!);
  const lossWeightMs = Float64Array.from(withLoss, (session) => Math.max(session.playTimeMs, 1e-9));
  const sortedRtt = sortedOf(rttP50Ms);
  let playTimeMs = 0;
  let spikes = 0;
  let spikeTimeMs = 0;
  const underMs = thresholdsMs.map(() => 0);
  for (const session of sessions) {
    playTimeMs += session.playTimeMs;
    if (session.spikeCount !== undefined) {
      spikes += session.spikeCount;
      spikeTimeMs += session.playTimeMs;
    }
    thresholdsMs.forEach((threshold, index) => {
      let share: number;
      if (session.samplesMs !== undefined) {
        let under = 0;
        for (const sample of session.samplesMs) if (sample < threshold) under++;
        share = under / session.samplesMs.length;
      } else share = session.rttP50Ms < threshold ? 1 : 0;
      underMs[index]! += share * session.playTimeMs;
    });
  }
  let weightedLoss = 0;
  let lossWeight = 0;
  lossRate.forEach((rate, index) => {
    weightedLoss += rate * lossWeightMs[index]!;
    lossWeight += lossWeightMs[index]!;
  });
  const shareUnderMs: Record<string, number> = {};
  let shareSum = 0;
  thresholdsMs.forEach((threshold, index) => {
    const share = playTimeMs > 0 ? underMs[index]! / playTimeMs : 0;
    shareUnderMs[String(threshold)] = round(share, 4);
    shareSum += share;
  });
  const burstLengths = sortedOf(withLoss.map((session) => session.burstMeanLength));
  return {
    name,
    sessions,
    rttP50Ms,
    jitterMs,
    lossRate,
    lossWeightMs,
    bootstrap: undefined,
    figures: {
      name,
      rank: 0,
      sessions: sessions.length,
      players: new Set(sessions.map((session) => session.player)).size,
      playTimeMs: round(playTimeMs, 1),
      rttMs: {
        p50: round(quantileOfSorted(sortedRtt, 0.5)),
        p95: round(quantileOfSorted(sortedRtt, 0.95)),
        p99: round(quantileOfSorted(sortedRtt, 0.99)),
      },
      jitterMs: nullable(quantileOfSorted(sortedOf(jitterMs), 0.5)),
      lossRate: lossWeight > 0 ? round(weightedLoss / lossWeight, 6) : null,
      lossBurstP95Length: burstLengths.length > 0 ? round(quantileOfSorted(burstLengths, 0.95)) : 0,
      spikesPerMinute: spikeTimeMs > 0 ? round(spikes / (spikeTimeMs / 60_000), 4) : null,
      experience: {
        shareUnderMs,
        score: thresholdsMs.length > 0 ? round((100 * shareSum) / thresholdsMs.length, 2) : 0,
      },
      serverSite: null,
      locatedSessions: 0,
      speedOfLightMs: null,
      routeStretch: null,
    },
  };
}

function statisticOf(region: RegionData, metric: ComparisonMetric): number {
  const figures = region.figures;
  if (metric === "rttP50Ms") return figures.rttMs.p50;
  if (metric === "rttP95Ms") return figures.rttMs.p95;
  if (metric === "jitterMs") return figures.jitterMs ?? Number.NaN;
  return figures.lossRate ?? Number.NaN;
}

function metricValues(region: RegionData, metric: ComparisonMetric): Float64Array {
  if (metric === "jitterMs") return region.jitterMs;
  if (metric === "lossRate") return region.lossRate;
  return region.rttP50Ms;
}

const METRIC_WORDS: Record<ComparisonMetric, [string, string]> = {
  rttP50Ms: ["median RTT", "ms"],
  rttP95Ms: ["p95 RTT", "ms"],
  jitterMs: ["median jitter", "ms"],
  lossRate: ["loss rate", ""],
};

function formatValue(metric: ComparisonMetric, value: number): string {
  return metric === "lossRate" ? `${(value * 100).toFixed(2)} percentage points` : `${value.toFixed(1)} ms`;
}

/**
 * Compares regions from per-session summaries: per-region figures, pairwise
 * comparisons with significance and effect sizes, region-specific challenges,
 * derived protocol settings, routing efficiency against the speed of light,
 * and server placement. Deterministic for a given input and seed.
 *
 * Units of analysis are sessions: a region's RTT percentiles are over its
 * sessions' median RTTs ("the p95 session"), so sessions are independent
 * observations for the tests.
 */
export function compareRegions(summaries: readonly SessionSummary[], options: RegionComparisonOptions = {}): RegionsReport {
  const seed = options.seed ?? 1;
  const iterations = options.bootstrapIterations ?? 1000;
  const confidence = options.confidence ?? 0.95;
  const alpha = options.alpha ?? 0.05;
  const correction = options.correction ?? "holm";
  const minimumSessions = options.minimumSessionsForComparison ?? 20;
  const thresholdsMs = options.experienceThresholdsMs ?? [50, 100, 150];
  if (!Number.isInteger(seed)) throw new TickscopeError(ErrorCode.invalidOption, "regions: seed must be an integer");
  if (!Number.isInteger(iterations) || iterations < 10) {
    throw new TickscopeError(ErrorCode.invalidOption, "regions: bootstrapIterations must be an integer ≥ 10");
  }
  if (!(confidence > 0 && confidence < 1)) throw new TickscopeError(ErrorCode.invalidOption, "regions: confidence must be in (0, 1)");
  if (!(alpha > 0 && alpha < 1)) throw new TickscopeError(ErrorCode.invalidOption, "regions: alpha must be in (0, 1)");

  const skipped: Record<string, number> = {};
  const byRegion = new Map<string, NormalizedSession[]>();
  for (const summary of summaries) {
    const normalized = normalizeSessionSummary(summary, options.serverSites, options.catalogue);
    if (typeof normalized === "string") {
      skipped[normalized] = (skipped[normalized] ?? 0) + 1;
      continue;
    }
    const list = byRegion.get(normalized.region) ?? [];
    list.push(normalized);
    byRegion.set(normalized.region, list);
  }
  const names = [...byRegion.keys()].sort();
  const regions = names.map((name) =>
    describeRegion(
      name,
      byRegion.get(name)!.sort((left, right) => (left.sessionId < right.sessionId ? -1 : left.sessionId > right.sessionId ? 1 : 0)),
      thresholdsMs,
    ),
  );
  const ranking = [...regions]
    .sort((left, right) => left.figures.rttMs.p50 - right.figures.rttMs.p50 || (left.name < right.name ? -1 : 1))
    .map((region) => region.name);
  for (const region of regions) region.figures.rank = ranking.indexOf(region.name) + 1;

  for (const region of regions) {
    if (region.sessions.length < minimumSessions) continue;
    const random = createSeededRandom((hashString(region.name) ^ Math.imul(seed, 0x9e3779b1)) >>> 0);
    region.bootstrap = bootstrapRegion(region.rttP50Ms, region.jitterMs, region.lossRate, region.lossWeightMs, iterations, random);
  }

  const comparisons: Comparison[] = [];
  const tested: number[] = [];
  for (let left = 0; left < regions.length; left++) {
    for (let right = left + 1; right < regions.length; right++) {
      const a = regions[left]!;
      const b = regions[right]!;
      for (const metric of METRICS) {
        comparisons.push(compareMetric(a, b, metric, confidence));
        if (comparisons[comparisons.length - 1]!.pValue !== null) tested.push(comparisons.length - 1);
      }
    }
  }
  const adjusted = (correction === "holm" ? holmAdjust : benjaminiHochbergAdjust)(tested.map((index) => comparisons[index]!.pValue!));
  tested.forEach((index, position) => {
    const comparison = comparisons[index]!;
    comparison.pValueAdjusted = adjusted[position]!;
    comparison.significant = adjusted[position]! < alpha;
  });
  for (const comparison of comparisons) comparison.conclusion = concludeComparison(comparison, alpha, confidence);
  for (const comparison of comparisons) {
    if (comparison.pValue !== null) comparison.pValue = Number(comparison.pValue.toPrecision(4));
    if (comparison.pValueAdjusted !== null) comparison.pValueAdjusted = Number(comparison.pValueAdjusted.toPrecision(4));
  }

  const allSessions = regions.flatMap((region) => region.sessions);
  const routing = analyseRouting(allSessions, regions.map((region) => region.figures));
  const figures = regions.map((region) => region.figures);
  const protocolSettings = deriveProtocolSettings(regions.map((region) => ({ figures: region.figures, jitterMs: region.jitterMs })), options.protocol);
  const challenges = deriveChallenges(figures, protocolSettings);
  const timeRanges = new Map<string, { startUs: number; endUs: number }>();
  for (const region of regions) {
    let startUs = Number.POSITIVE_INFINITY;
    let endUs = Number.NEGATIVE_INFINITY;
    for (const session of region.sessions) {
      if (session.startUs !== undefined && session.startUs < startUs) startUs = session.startUs;
      if (session.endUs !== undefined && session.endUs > endUs) endUs = session.endUs;
    }
    if (Number.isFinite(startUs) && Number.isFinite(endUs)) timeRanges.set(region.name, { startUs, endUs });
  }
  const findings = challengesToFindings(challenges, timeRanges);
  const placement =
    options.placement === false ? null : planPlacement(allSessions, { catalogue: options.catalogue, ...(options.placement ?? {}) });

  return {
    regions: figures,
    ranking,
    comparisons,
    challenges,
    findings,
    protocolSettings,
    routing,
    placement,
    sessions: {
      total: summaries.length,
      analysed: allSessions.length,
      skipped: Object.fromEntries(Object.entries(skipped).sort(([left], [right]) => (left < right ? -1 : 1))),
      list: allSessions
        .map((session) => ({
          sessionId: session.sessionId,
          region: session.region,
          player: session.player,
          rttMs: { p50: session.rttP50Ms, p95: session.rttP95Ms, p99: session.rttP99Ms },
          jitterMs: session.jitterMs ?? null,
          spikeCount: session.spikeCount ?? null,
          lossRate: session.lossRate ?? null,
        }))
        .sort((left, right) => (left.sessionId < right.sessionId ? -1 : left.sessionId > right.sessionId ? 1 : 0)),
    },
    method: {
      alpha,
      confidence,
      correction,
      bootstrapIterations: iterations,
      minimumSessions,
      seed,
      notes: [
        "Unit of analysis: the session. Region RTT percentiles are over sessions' median RTTs.",
        "rttP50Ms, jitterMs, lossRate: two-sided Mann–Whitney U (tie- and continuity-corrected normal approximation) on per-session values; rttP95Ms: two-sided percentile-bootstrap p-value.",
        `Intervals: ${Math.round(confidence * 100)}% percentile bootstrap of the difference a − b, sessions resampled per region (seeded PRNG).`,
        `Significance: p-value after ${correction === "holm" ? "Holm–Bonferroni (family-wise error)" : "Benjamini–Hochberg (false discovery rate)"} correction over all comparisons < ${alpha}.`,
        `Regions with fewer than ${minimumSessions} sessions are described but not tested.`,
        "Experience score: 100 × mean share of play time with RTT under each threshold (samples when given, else the session median).",
      ],
    },
  };
}

function compareMetric(a: RegionData, b: RegionData, metric: ComparisonMetric, confidence: number): Comparison {
  const valueA = statisticOf(a, metric);
  const valueB = statisticOf(b, metric);
  const comparison: Comparison = {
    a: a.name,
    b: b.name,
    metric,
    valueA: nullable(valueA, 6),
    valueB: nullable(valueB, 6),
    difference: nullable(valueA - valueB, 6),
    ci: null,
    test: "none",
    pValue: null,
    pValueAdjusted: null,
    significant: false,
    effectSize: { cliffsDelta: null, relativeDifference: valueB !== 0 ? nullable((valueA - valueB) / valueB, 4) : null },
    conclusion: "",
  };
  const valuesA = metricValues(a, metric);
  const valuesB = metricValues(b, metric);
  if (a.bootstrap === undefined || b.bootstrap === undefined || valuesA.length === 0 || valuesB.length === 0) return comparison;
  const replicatesA = a.bootstrap[metric as keyof RegionBootstrap];
  const replicatesB = b.bootstrap[metric as keyof RegionBootstrap];
  const differences = new Float64Array(replicatesA.length);
  for (let index = 0; index < differences.length; index++) differences[index] = replicatesA[index]! - replicatesB[index]!;
  const [low, high] = percentileInterval(differences, confidence);
  comparison.ci = [round(low, 6), round(high, 6)];
  const test = mannWhitneyU(valuesA, valuesB);
  comparison.effectSize.cliffsDelta = round(test.cliffsDelta, 4);
  if (metric === "rttP95Ms") {
    comparison.test = "bootstrap";
    comparison.pValue = bootstrapWaldPValue(valueA - valueB, differences);
  } else {
    comparison.test = "mannWhitneyU";
    comparison.pValue = test.pValue;
  }
  return comparison;
}

function concludeComparison(comparison: Comparison, alpha: number, confidence: number): string {
  const [words] = METRIC_WORDS[comparison.metric];
  if (comparison.pValue === null || comparison.difference === null) {
    return `${comparison.a} vs ${comparison.b}: ${words} not tested (too few sessions or no data).`;
  }
  const ci = comparison.ci!;
  const interval = `${Math.round(confidence * 100)}% CI ${formatValue(comparison.metric, ci[0])} to ${formatValue(comparison.metric, ci[1])}`;
  const p = comparison.pValueAdjusted === 0 ? "adjusted p < 1e-300" : `adjusted p = ${comparison.pValueAdjusted!.toPrecision(2)}`;
  if (!comparison.significant) {
    return `No significant difference in ${words} between ${comparison.a} and ${comparison.b} (difference ${formatValue(comparison.metric, comparison.difference)}, ${interval}, ${p} ≥ ${alpha}).`;
  }
  const direction = comparison.difference > 0 ? "higher" : "lower";
  // state the interval of the magnitude, in the sentence's direction
  const magnitude = comparison.difference > 0 ? ci : [-ci[1], -ci[0]];
  const magnitudeInterval = `${Math.round(confidence * 100)}% CI ${formatValue(comparison.metric, magnitude[0]!)} to ${formatValue(comparison.metric, magnitude[1]!)}`;
  return `${comparison.a} has a significantly ${direction} ${words} than ${comparison.b}: ${formatValue(comparison.metric, Math.abs(comparison.difference))} (${magnitudeInterval}, ${p}, Cliff's delta ${comparison.effectSize.cliffsDelta}).`;
}
