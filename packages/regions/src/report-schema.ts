import { FindingSchema, type Finding } from "@tickscope/core";
import { SchemaType as T, type JsonSchema } from "./schema-builder.js";

/** RTT percentiles, ms. */
export interface RttPercentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** Share of play time under RTT thresholds and the experience score built from them. */
export interface Experience {
  /** Threshold in ms (as a string key) → share of play time with RTT under it. */
  shareUnderMs: Record<string, number>;
  /** 100 × mean of the shares. */
  score: number;
}

/** One region's figures. */
export interface RegionFigures {
  name: string;
  /** 1 = lowest median RTT. */
  rank: number;
  sessions: number;
  players: number;
  playTimeMs: number;
  /** Percentiles over the region's sessions' median RTTs. */
  rttMs: RttPercentiles;
  /** Median session jitter. */
  jitterMs: number | null;
  /** Play-time-weighted loss rate. */
  lossRate: number | null;
  /** p95 over sessions of the mean loss-burst length, packets. */
  lossBurstP95Length: number;
  spikesPerMinute: number | null;
  experience: Experience;
  /** Most common server site label (catalogue id or `lat,lon`). */
  serverSite: string | null;
  /** Sessions with both player and server location. */
  locatedSessions: number;
  /** Median speed-of-light RTT bound player ↔ server, ms. */
  speedOfLightMs: number | null;
  /** Median measured / bound over sessions ≥ 100 km from their server. */
  routeStretch: number | null;
}

/** A metric compared between regions. */
export type ComparisonMetric = "rttP50Ms" | "rttP95Ms" | "jitterMs" | "lossRate";

/** A pairwise comparison of one metric between two regions. */
export interface Comparison {
  a: string;
  b: string;
  metric: ComparisonMetric;
  valueA: number | null;
  valueB: number | null;
  /** a − b. */
  difference: number | null;
  /** Bootstrap confidence interval of the difference. */
  ci: [number, number] | null;
  test: "mannWhitneyU" | "bootstrap" | "none";
  /** Raw two-sided p-value. */
  pValue: number | null;
  /** p-value after the multiple-comparison correction. */
  pValueAdjusted: number | null;
  /** pValueAdjusted < alpha. */
  significant: boolean;
  effectSize: {
    /** P(a > b) − P(a < b) over sessions. */
    cliffsDelta: number | null;
    /** (a − b) / b. */
    relativeDifference: number | null;
  };
  conclusion: string;
}

/** Kinds of region-specific challenges. */
export type ChallengeKind =
  | "highJitter"
  | "burstyLoss"
  | "randomLoss"
  | "latencySpikes"
  | "routingInefficiency"
  | "distance"
  | "latencyTail";

/** A region-specific problem: which metric is out of line and what it suggests. */
export interface Challenge {
  region: string;
  kind: ChallengeKind;
  metric: string;
  value: number;
  /** Median of the other regions, or the absolute threshold. */
  reference: number;
  severity: "low" | "medium" | "high";
  summary: string;
  suggestion: string;
}

/** Protocol settings derived for one region from its measurements. */
export interface ProtocolSettings {
  region: string;
  snapshotRateHz: number;
  interpolationDelayMs: number;
  /** Inputs carried per input packet. */
  inputRedundancy: number;
  basis: { jitterP95Ms: number; lossRate: number; lossBurstP95Length: number };
  rationale: string;
}

/** Route efficiency of a group of sessions (a region, a client prefix, an AS). */
export interface RouteGroup {
  group: string;
  region: string;
  sessions: number;
  rttP50Ms: number;
  speedOfLightMs: number;
  routeStretch: number;
  /** Median gain if routed at the target stretch, ms. */
  achievableGainMs: number;
}

/** Routing efficiency: measured RTT vs the physical bound. */
export interface Routing {
  locatedSessions: number;
  /** p25 of observed stretches: what good routes already achieve. */
  targetRouteStretch: number | null;
  worstRegions: RouteGroup[];
  worstPrefixes: RouteGroup[];
  worstAses: RouteGroup[];
}

/** Modelled latency of one placement. */
export interface PlacementOutcome {
  sites: string[];
  rttMs: RttPercentiles;
  shareUnderTarget: number;
}

/** Server placement analysis. */
export interface Placement {
  objective: "minimizeP95" | "maximizeShareUnderTarget";
  targetMs: number;
  k: number;
  model: { overheadMs: number; routeStretch: number; fittedSessions: number; formula: string };
  assumptions: string[];
  population: { sessions: number; cells: number };
  /** Measured median RTTs of the located sessions. */
  observed: { rttMs: RttPercentiles; shareUnderTarget: number };
  /** Modelled latency with today's servers. */
  current: PlacementOutcome | null;
  best: PlacementOutcome & { method: "exact" | "greedyLocalSearch"; evaluations: number; gainP95Ms: number | null };
  addOne: (PlacementOutcome & { added: string; gainP95Ms: number }) | null;
}

/**
 * One analysed session's figures as the comparison used them: RTT percentiles,
 * spike count and jitter are the latency analysis' figures for the same
 * session (core's one computation) when they come from the regions analyzer.
 */
export interface RegionSessionFigures {
  sessionId: string;
  region: string;
  player: string;
  rttMs: RttPercentiles;
  jitterMs: number | null;
  spikeCount: number | null;
  lossRate: number | null;
}

/** The regions report (the CLI's `--json` output body). */
export interface RegionsReport {
  regions: RegionFigures[];
  /** Best (lowest median RTT) first. */
  ranking: string[];
  comparisons: Comparison[];
  challenges: Challenge[];
  /** The challenges as core findings (one shape across packages). */
  findings: Finding[];
  protocolSettings: ProtocolSettings[];
  routing: Routing;
  placement: Placement | null;
  /** Sessions given, analysed, skipped (by reason), and the analysed sessions' figures (sorted by session id). */
  sessions: { total: number; analysed: number; skipped: Record<string, number>; list: RegionSessionFigures[] };
  method: {
    alpha: number;
    confidence: number;
    correction: "holm" | "benjaminiHochberg";
    bootstrapIterations: number;
    /** Regions with fewer sessions than this are described but not tested (no comparison of theirs has a p-value). */
    minimumSessions: number;
    seed: number;
    notes: string[];
  };
}

const percentilesSchema = T.Object({ p50: T.Number(), p95: T.Number(), p99: T.Number() });
const nullableNumber = (description?: string) => T.Nullable(T.Number(), description !== undefined ? { description } : {});
const literals = (...values: string[]) => T.Union(values.map((value) => T.Literal(value)));
const outcomeProperties = {
  sites: T.Array(T.String()),
  rttMs: percentilesSchema,
  shareUnderTarget: T.Number({ minimum: 0, maximum: 1 }),
};
const routeGroupSchema = T.Object({
  group: T.String(),
  region: T.String(),
  sessions: T.Integer({ minimum: 0 }),
  rttP50Ms: T.Number(),
  speedOfLightMs: T.Number(),
  routeStretch: T.Number(),
  achievableGainMs: T.Number(),
});

/** TypeBox-compatible JSON Schema of {@link RegionsReport}. */
export const RegionsReportSchema = T.Object({
  regions: T.Array(
    T.Object({
      name: T.String(),
      rank: T.Integer({ minimum: 1 }),
      sessions: T.Integer({ minimum: 0 }),
      players: T.Integer({ minimum: 0 }),
      playTimeMs: T.Number({ minimum: 0 }),
      rttMs: percentilesSchema,
      jitterMs: nullableNumber(),
      lossRate: nullableNumber(),
      lossBurstP95Length: T.Number({ minimum: 0 }),
      spikesPerMinute: nullableNumber(),
      experience: T.Object({ shareUnderMs: T.Record(T.Number({ minimum: 0, maximum: 1 })), score: T.Number({ minimum: 0, maximum: 100 }) }),
      serverSite: T.Nullable(T.String()),
      locatedSessions: T.Integer({ minimum: 0 }),
      speedOfLightMs: nullableNumber("median speed-of-light RTT bound, ms"),
      routeStretch: nullableNumber("median measured / bound"),
    }),
  ),
  ranking: T.Array(T.String()),
  comparisons: T.Array(
    T.Object({
      a: T.String(),
      b: T.String(),
      metric: literals("rttP50Ms", "rttP95Ms", "jitterMs", "lossRate"),
      valueA: nullableNumber(),
      valueB: nullableNumber(),
      difference: nullableNumber("a − b"),
      ci: T.Nullable(T.Tuple([T.Number(), T.Number()])),
      test: literals("mannWhitneyU", "bootstrap", "none"),
      pValue: nullableNumber(),
      pValueAdjusted: nullableNumber(),
      significant: T.Boolean(),
      effectSize: T.Object({ cliffsDelta: nullableNumber(), relativeDifference: nullableNumber() }),
      conclusion: T.String(),
    }),
  ),
  challenges: T.Array(
    T.Object({
      region: T.String(),
      kind: literals("highJitter", "burstyLoss", "randomLoss", "latencySpikes", "routingInefficiency", "distance", "latencyTail"),
      metric: T.String(),
      value: T.Number(),
      reference: T.Number(),
      severity: literals("low", "medium", "high"),
      summary: T.String(),
      suggestion: T.String(),
    }),
  ),
  findings: T.Array(FindingSchema as unknown as JsonSchema),
  protocolSettings: T.Array(
    T.Object({
      region: T.String(),
      snapshotRateHz: T.Number({ exclusiveMinimum: 0 }),
      interpolationDelayMs: T.Number({ minimum: 0 }),
      inputRedundancy: T.Integer({ minimum: 1 }),
      basis: T.Object({ jitterP95Ms: T.Number(), lossRate: T.Number(), lossBurstP95Length: T.Number() }),
      rationale: T.String(),
    }),
  ),
  routing: T.Object({
    locatedSessions: T.Integer({ minimum: 0 }),
    targetRouteStretch: nullableNumber(),
    worstRegions: T.Array(routeGroupSchema),
    worstPrefixes: T.Array(routeGroupSchema),
    worstAses: T.Array(routeGroupSchema),
  }),
  placement: T.Nullable(
    T.Object({
      objective: literals("minimizeP95", "maximizeShareUnderTarget"),
      targetMs: T.Number(),
      k: T.Integer({ minimum: 1 }),
      model: T.Object({ overheadMs: T.Number(), routeStretch: T.Number(), fittedSessions: T.Integer({ minimum: 0 }), formula: T.String() }),
      assumptions: T.Array(T.String()),
      population: T.Object({ sessions: T.Integer({ minimum: 0 }), cells: T.Integer({ minimum: 0 }) }),
      observed: T.Object({ rttMs: percentilesSchema, shareUnderTarget: T.Number() }),
      current: T.Nullable(T.Object(outcomeProperties)),
      best: T.Object({
        ...outcomeProperties,
        method: literals("exact", "greedyLocalSearch"),
        evaluations: T.Integer({ minimum: 0 }),
        gainP95Ms: nullableNumber(),
      }),
      addOne: T.Nullable(T.Object({ ...outcomeProperties, added: T.String(), gainP95Ms: T.Number() })),
    }),
  ),
  sessions: T.Object({
    total: T.Integer({ minimum: 0 }),
    analysed: T.Integer({ minimum: 0 }),
    skipped: T.Record(T.Integer({ minimum: 0 })),
    list: T.Array(
      T.Object({
        sessionId: T.String(),
        region: T.String(),
        player: T.String(),
        rttMs: percentilesSchema,
        jitterMs: nullableNumber(),
        spikeCount: T.Nullable(T.Integer({ minimum: 0 })),
        lossRate: nullableNumber(),
      }),
    ),
  }),
  method: T.Object({
    alpha: T.Number(),
    confidence: T.Number(),
    correction: literals("holm", "benjaminiHochberg"),
    bootstrapIterations: T.Integer(),
    minimumSessions: T.Integer({ minimum: 0 }),
    seed: T.Integer(),
    notes: T.Array(T.String()),
  }),
});
