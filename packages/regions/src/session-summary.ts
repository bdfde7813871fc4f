import { findCloudRegion, type CloudRegion } from "./cloud-regions.js";
import { isValidGeoPoint, type GeoPoint } from "./geo.js";
import { resolveNamedPlace, type NamedPlace } from "./gazetteer.js";
import { SchemaType as T } from "./schema-builder.js";
import { quantileOfSorted } from "./statistics.js";

/**
 * One session's precomputed figures, labelled by region: the input of
 * {@link compareRegions}. Produced by the regions message analyzer, or by the
 * CLI from the latency and loss packages' reports. Either `rttMs` or
 * `rttSamplesMs` must be present.
 */
export interface SessionSummary {
  sessionId: string;
  region: string;
  player?: string;
  /** The session's RTT percentiles, ms (p95/p99 default from samples, else p50). */
  rttMs?: { p50: number; p95?: number; p99?: number };
  /** Raw or reservoir-sampled RTTs, ms. */
  rttSamplesMs?: number[];
  jitterMs?: number;
  /** Lost / expected, 0..1. */
  lossRate?: number;
  /** Loss bursts (runs of consecutive lost packets). */
  lossBursts?: { count: number; meanLength: number; maxLength: number };
  /** Latency spike onsets. */
  spikeCount?: number;
  playTimeMs: number;
  playerLocation?: GeoPoint;
  /** Player place from logs, resolved with the built-in gazetteer. */
  playerPlace?: NamedPlace;
  serverLocation?: GeoPoint;
  /** Catalogue id, e.g. `aws:eu-central-1`. */
  serverSite?: string;
  /** e.g. `203.0.113.0/24`. */
  clientPrefix?: string;
  /** Autonomous system, e.g. `AS3320`. */
  asn?: string;
  startUs?: number;
  endUs?: number;
}

const geoPointSchema = T.Object({
  latitude: T.Number({ minimum: -90, maximum: 90 }),
  longitude: T.Number({ minimum: -180, maximum: 180 }),
});

/** TypeBox-compatible JSON Schema of {@link SessionSummary}. */
export const SessionSummarySchema = T.Object({
  sessionId: T.String(),
  region: T.String({ minLength: 1 }),
  player: T.Optional(T.String()),
  rttMs: T.Optional(
    T.Object({
      p50: T.Number({ minimum: 0 }),
      p95: T.Optional(T.Number({ minimum: 0 })),
      p99: T.Optional(T.Number({ minimum: 0 })),
    }),
  ),
  rttSamplesMs: T.Optional(T.Array(T.Number({ minimum: 0 }))),
  jitterMs: T.Optional(T.Number({ minimum: 0 })),
  lossRate: T.Optional(T.Number({ minimum: 0, maximum: 1 })),
  lossBursts: T.Optional(
    T.Object({ count: T.Integer({ minimum: 0 }), meanLength: T.Number({ minimum: 0 }), maxLength: T.Integer({ minimum: 0 }) }),
  ),
  spikeCount: T.Optional(T.Integer({ minimum: 0 })),
  playTimeMs: T.Number({ minimum: 0 }),
  playerLocation: T.Optional(geoPointSchema),
  playerPlace: T.Optional(T.Object({ country: T.Optional(T.String()), city: T.Optional(T.String()) })),
  serverLocation: T.Optional(geoPointSchema),
  serverSite: T.Optional(T.String()),
  clientPrefix: T.Optional(T.String()),
  asn: T.Optional(T.String()),
  startUs: T.Optional(T.Number()),
  endUs: T.Optional(T.Number()),
});

/** Where a region's server is: a catalogue id or coordinates. */
export type ServerSite = string | GeoPoint;

/** A validated session with every figure resolved (internal form). */
export interface NormalizedSession {
  sessionId: string;
  region: string;
  player: string;
  rttP50Ms: number;
  rttP95Ms: number;
  rttP99Ms: number;
  /** Sorted samples, when given. */
  samplesMs: Float64Array | undefined;
  jitterMs: number | undefined;
  lossRate: number | undefined;
  burstMeanLength: number;
  burstMaxLength: number;
  spikeCount: number | undefined;
  playTimeMs: number;
  playerLocation: GeoPoint | undefined;
  serverLocation: GeoPoint | undefined;
  /** Label of the server location: catalogue id or `lat,lon`. */
  serverLabel: string | undefined;
  clientPrefix: string | undefined;
  asn: string | undefined;
  startUs: number | undefined;
  endUs: number | undefined;
}

const finiteNonNegative = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value >= 0;

/** Resolves a server site (catalogue id or point) to a point and a label. */
export function resolveServerSite(site: ServerSite | undefined, catalogue?: readonly CloudRegion[]): { point: GeoPoint; label: string } | undefined {
  if (site === undefined) return undefined;
  if (typeof site === "string") {
    const region = catalogue?.find((entry) => entry.id === site) ?? findCloudRegion(site);
    return region === undefined ? undefined : { point: { latitude: region.latitude, longitude: region.longitude }, label: region.id };
  }
  return isValidGeoPoint(site) ? { point: site, label: `${site.latitude.toFixed(2)},${site.longitude.toFixed(2)}` } : undefined;
}

/**
 * Validates one summary and resolves its figures. Returns the reason string
 * (a stable code) when the session cannot be used, so callers count it.
 */
export function normalizeSessionSummary(
  summary: SessionSummary,
  serverSites: Readonly<Record<string, ServerSite>> = {},
  catalogue?: readonly CloudRegion[],
): NormalizedSession | string {
  if (typeof summary !== "object" || summary === null) return "E_REGIONS_BAD_SUMMARY";
  if (typeof summary.region !== "string" || summary.region === "") return "E_REGIONS_NO_REGION";
  if (typeof summary.sessionId !== "string") return "E_REGIONS_BAD_SUMMARY";
  let samples: Float64Array | undefined;
  if (summary.rttSamplesMs !== undefined) {
    if (!Array.isArray(summary.rttSamplesMs) || !summary.rttSamplesMs.every(finiteNonNegative)) return "E_REGIONS_BAD_RTT";
    if (summary.rttSamplesMs.length > 0) samples = Float64Array.from(summary.rttSamplesMs).sort();
  }
  let p50: number;
  let p95: number;
  let p99: number;
  if (summary.rttMs !== undefined) {
    if (!finiteNonNegative(summary.rttMs.p50)) return "E_REGIONS_BAD_RTT";
    p50 = summary.rttMs.p50;
    p95 = summary.rttMs.p95 ?? (samples !== undefined ? quantileOfSorted(samples, 0.95) : p50);
    p99 = summary.rttMs.p99 ?? (samples !== undefined ? quantileOfSorted(samples, 0.99) : p95);
    if (!finiteNonNegative(p95) || !finiteNonNegative(p99)) return "E_REGIONS_BAD_RTT";
  } else if (samples !== undefined) {
    p50 = quantileOfSorted(samples, 0.5);
    p95 = quantileOfSorted(samples, 0.95);
    p99 = quantileOfSorted(samples, 0.99);
  } else {
    return "E_REGIONS_NO_RTT";
  }
  if (!finiteNonNegative(summary.playTimeMs)) return "E_REGIONS_BAD_PLAY_TIME";
  if (summary.jitterMs !== undefined && !finiteNonNegative(summary.jitterMs)) return "E_REGIONS_BAD_JITTER";
  if (summary.lossRate !== undefined && !(finiteNonNegative(summary.lossRate) && summary.lossRate <= 1)) {
    return "E_REGIONS_BAD_LOSS";
  }
  if (summary.spikeCount !== undefined && !finiteNonNegative(summary.spikeCount)) return "E_REGIONS_BAD_SPIKES";
  let playerLocation: GeoPoint | undefined;
  if (summary.playerLocation !== undefined && isValidGeoPoint(summary.playerLocation)) playerLocation = summary.playerLocation;
  else if (summary.playerPlace !== undefined) playerLocation = resolveNamedPlace(summary.playerPlace);
  const server =
    resolveServerSite(summary.serverLocation, catalogue) ??
    resolveServerSite(summary.serverSite, catalogue) ??
    resolveServerSite(serverSites[summary.region], catalogue) ??
    resolveServerSite(summary.region, catalogue);
  const bursts = summary.lossBursts;
  return {
    sessionId: summary.sessionId,
    region: summary.region,
    player: summary.player ?? summary.sessionId,
    rttP50Ms: p50,
    rttP95Ms: p95,
    rttP99Ms: p99,
    samplesMs: samples,
    jitterMs: summary.jitterMs,
    lossRate: summary.lossRate,
    burstMeanLength: bursts !== undefined && finiteNonNegative(bursts.meanLength) ? bursts.meanLength : 0,
    burstMaxLength: bursts !== undefined && finiteNonNegative(bursts.maxLength) ? bursts.maxLength : 0,
    spikeCount: summary.spikeCount,
    playTimeMs: summary.playTimeMs,
    playerLocation,
    serverLocation: server?.point,
    serverLabel: server?.label,
    clientPrefix: summary.clientPrefix,
    asn: summary.asn,
    startUs: summary.startUs,
    endUs: summary.endUs,
  };
}

/** A partial session summary from one source (must name its session). */
export type PartialSessionSummary = Partial<SessionSummary> & { sessionId: string };

/**
 * Merges partial per-session summaries from several sources by session id —
 * e.g. region labels and geography from logs, RTT and jitter from the latency
 * package's report, loss and bursts from the loss package's report. Later
 * sources override earlier ones field by field. Sorted by session id. Merged
 * entries still missing required fields are counted (not used) by
 * {@link compareRegions}.
 */
export function mergeSessionSummaries(...sources: ReadonlyArray<readonly PartialSessionSummary[]>): SessionSummary[] {
  const merged = new Map<string, PartialSessionSummary>();
  for (const source of sources) {
    for (const part of source) {
      const existing = merged.get(part.sessionId);
      if (existing === undefined) merged.set(part.sessionId, { ...part });
      else {
        for (const [key, value] of Object.entries(part)) if (value !== undefined) (existing as Record<string, unknown>)[key] = value;
      }
    }
  }
  return [...merged.keys()].sort().map((id) => merged.get(id)! as SessionSummary);
}
