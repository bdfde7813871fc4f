import { ErrorCode, TickscopeError } from "@tickscope/core";
import { CLOUD_REGIONS, type CloudRegion } from "./cloud-regions.js";
import { greatCircleDistanceKm, speedOfLightRttMs, type GeoPoint } from "./geo.js";
import type { Placement, PlacementOutcome, RttPercentiles } from "./report-schema.js";
import type { NormalizedSession } from "./session-summary.js";
import { quantileOfSorted } from "./statistics.js";

/** Latency model of placement: `rttMs = overheadMs + routeStretch × 2 × distanceKm / 200`. */
export interface LatencyModel {
  overheadMs: number;
  routeStretch: number;
}

/** Options of placement. */
export interface PlacementOptions {
  /** Candidate sites (default the whole {@link CLOUD_REGIONS} catalogue). */
  catalogue?: readonly CloudRegion[] | undefined;
  /** Restrict candidates to these catalogue ids. */
  candidateSites?: readonly string[];
  /** Number of sites to choose (default: the number of current sites, at least 1). */
  k?: number;
  /** What to optimize (default minimize the p95 RTT). */
  objective?: "minimizeP95" | "maximizeShareUnderTarget";
  /** RTT target for the share-under-target figures, ms (default 80). */
  targetMs?: number;
  /** Exact search when the number of combinations is at most this (default 20,000). */
  maxExactEvaluations?: number;
  /** Grid cell size for aggregating players, degrees (default 1). */
  cellDegrees?: number;
  /** Fixed latency model instead of fitting one to the measurements. */
  model?: LatencyModel;
}

/** One unit of population: players in a grid cell (with the same current server). */
export interface PopulationUnit {
  location: GeoPoint;
  weight: number;
  /** Where these players are served today, if known. */
  currentSite?: { point: GeoPoint; label: string };
}

/** Result of {@link optimizePlacement}. */
export interface PlacementSearchResult extends PlacementOutcome {
  method: "exact" | "greedyLocalSearch";
  evaluations: number;
}

interface Score {
  p50: number;
  p95: number;
  p99: number;
  share: number;
  mean: number;
}

const INDEX_BITS = 2 ** 17;

/**
 * Indices of `values` in ascending order (ties by index). Up to 131,072 values
 * it sorts packed keys (value rounded to 1 µs × 2^17 + index) with the native
 * numeric sort, several times faster than a comparator sort; the values
 * themselves are read back exactly.
 */
function ascendingOrder(values: Float64Array): ArrayLike<number> {
  const count = values.length;
  if (count <= INDEX_BITS && values.every((value) => value >= 0 && value < 1e6)) {
    const keys = new Float64Array(count);
    for (let index = 0; index < count; index++) keys[index] = Math.round(values[index]! * 1000) * INDEX_BITS + index;
    keys.sort();
    const order = new Uint32Array(count);
    for (let index = 0; index < count; index++) order[index] = keys[index]! % INDEX_BITS;
    return order;
  }
  return Array.from({ length: count }, (_, index) => index).sort((left, right) => values[left]! - values[right]! || left - right);
}

function scoreOf(rttMs: Float64Array, weights: Float64Array, targetMs: number): Score {
  const order = ascendingOrder(rttMs);
  let total = 0;
  let under = 0;
  let sum = 0;
  for (let index = 0; index < rttMs.length; index++) {
    total += weights[index]!;
    sum += weights[index]! * rttMs[index]!;
    if (rttMs[index]! <= targetMs) under += weights[index]!;
  }
  const quantiles = [0.5, 0.95, 0.99].map((probability) => {
    const target = probability * total;
    let cumulative = 0;
    for (let position = 0; position < order.length; position++) {
      const index = order[position]!;
      cumulative += weights[index]!;
      if (cumulative >= target - 1e-9 * total) return rttMs[index]!;
    }
    return rttMs[order[order.length - 1]!]!;
  });
  return { p50: quantiles[0]!, p95: quantiles[1]!, p99: quantiles[2]!, share: total > 0 ? under / total : 0, mean: total > 0 ? sum / total : 0 };
}

function better(candidate: Score, incumbent: Score | undefined, objective: NonNullable<PlacementOptions["objective"]>): boolean {
  if (incumbent === undefined) return true;
  const epsilon = 1e-9;
  if (objective === "maximizeShareUnderTarget") {
    if (candidate.share > incumbent.share + epsilon) return true;
    if (candidate.share < incumbent.share - epsilon) return false;
  }
  if (candidate.p95 < incumbent.p95 - epsilon) return true;
  if (candidate.p95 > incumbent.p95 + epsilon) return false;
  return candidate.mean < incumbent.mean - epsilon;
}

const round = (value: number): number => Math.round(value * 1000) / 1000;
const percentiles = (score: Score): RttPercentiles => ({ p50: round(score.p50), p95: round(score.p95), p99: round(score.p99) });

function binomial(n: number, k: number): number {
  let result = 1;
  for (let index = 1; index <= k; index++) result = (result * (n - k + index)) / index;
  return Math.round(result);
}

/**
 * Chooses `k` sites among `candidates` for a population, each player served by
 * its lowest-RTT chosen site under `model`. Exact enumeration when the number
 * of combinations is at most `maxExactEvaluations`, otherwise greedy addition
 * followed by best-improvement swap local search (deterministic).
 */
export function optimizePlacement(
  population: readonly PopulationUnit[],
  candidates: readonly CloudRegion[],
  k: number,
  model: LatencyModel,
  options: Pick<PlacementOptions, "objective" | "targetMs" | "maxExactEvaluations"> = {},
): PlacementSearchResult {
  if (!Number.isInteger(k) || k < 1 || k > candidates.length) {
    throw new TickscopeError(ErrorCode.invalidOption, `regions: placement k must be an integer in 1..${candidates.length}, got ${k}`);
  }
  if (population.length === 0) throw new TickscopeError(ErrorCode.invalidOption, "regions: placement needs a located population");
  const objective = options.objective ?? "minimizeP95";
  const targetMs = options.targetMs ?? 80;
  const maxExact = options.maxExactEvaluations ?? 20_000;
  const units = population.length;
  const siteCount = candidates.length;
  const rttMatrix = new Float64Array(units * siteCount);
  for (let unit = 0; unit < units; unit++) {
    for (let site = 0; site < siteCount; site++) {
      rttMatrix[unit * siteCount + site] =
        model.overheadMs + model.routeStretch * speedOfLightRttMs(greatCircleDistanceKm(population[unit]!.location, candidates[site]!));
    }
  }
  const weights = Float64Array.from(population, (entry) => entry.weight);
  const rtt = new Float64Array(units);
  let evaluations = 0;
  const evaluate = (sites: readonly number[]): Score => {
    evaluations++;
    for (let unit = 0; unit < units; unit++) {
      let best = Number.POSITIVE_INFINITY;
      const row = unit * siteCount;
      for (const site of sites) if (rttMatrix[row + site]! < best) best = rttMatrix[row + site]!;
      rtt[unit] = best;
    }
    return scoreOf(rtt, weights, targetMs);
  };
  let bestSites: number[] = [];
  let bestScore: Score | undefined;
  let method: PlacementSearchResult["method"];
  if (binomial(siteCount, k) <= maxExact) {
    method = "exact";
    const chosen = Array.from({ length: k }, (_, index) => index);
    for (;;) {
      const score = evaluate(chosen);
      if (better(score, bestScore, objective)) {
        bestScore = score;
        bestSites = [...chosen];
      }
      let position = k - 1;
      while (position >= 0 && chosen[position] === siteCount - k + position) position--;
      if (position < 0) break;
      chosen[position]!++;
      for (let next = position + 1; next < k; next++) chosen[next] = chosen[next - 1]! + 1;
    }
  } else {
    method = "greedyLocalSearch";
    const chosen: number[] = [];
    while (chosen.length < k) {
      let pick = -1;
      let pickScore: Score | undefined;
      for (let site = 0; site < siteCount; site++) {
        if (chosen.includes(site)) continue;
        const score = evaluate([...chosen, site]);
        if (better(score, pickScore, objective)) {
          pickScore = score;
          pick = site;
        }
      }
      chosen.push(pick);
      bestScore = pickScore;
    }
    for (let round = 0; round < 100; round++) {
      let improvement: { position: number; site: number; score: Score } | undefined;
      for (let position = 0; position < k; position++) {
        for (let site = 0; site < siteCount; site++) {
          if (chosen.includes(site)) continue;
          const trial = [...chosen];
          trial[position] = site;
          const score = evaluate(trial);
          if (better(score, improvement?.score ?? bestScore, objective)) improvement = { position, site, score };
        }
      }
      if (improvement === undefined) break;
      chosen[improvement.position] = improvement.site;
      bestScore = improvement.score;
    }
    bestSites = chosen;
  }
  const score = bestScore!;
  return {
    sites: bestSites.map((site) => candidates[site]!.id).sort(),
    rttMs: percentiles(score),
    shareUnderTarget: round(score.share),
    method,
    evaluations,
  };
}

/**
 * Fits `rttMs = overheadMs + routeStretch × bound` to sessions with known
 * player and server locations (≥ 100 km apart): least-squares slope (at least
 * 1, the physical limit), overhead = median residual (at least 0). Falls back
 * to overhead 10 ms, stretch 2 with fewer than 3 usable sessions.
 */
export function fitLatencyModel(sessions: readonly NormalizedSession[]): LatencyModel & { fittedSessions: number } {
  const bounds: number[] = [];
  const measured: number[] = [];
  for (const session of sessions) {
    if (session.playerLocation === undefined || session.serverLocation === undefined) continue;
    const distanceKm = greatCircleDistanceKm(session.playerLocation, session.serverLocation);
    if (distanceKm < 100) continue;
    bounds.push(speedOfLightRttMs(distanceKm));
    measured.push(session.rttP50Ms);
  }
  if (bounds.length < 3) return { overheadMs: 10, routeStretch: 2, fittedSessions: bounds.length };
  const meanBound = bounds.reduce((sum, value) => sum + value, 0) / bounds.length;
  const meanMeasured = measured.reduce((sum, value) => sum + value, 0) / measured.length;
  let covariance = 0;
  let variance = 0;
  bounds.forEach((bound, index) => {
    covariance += (bound - meanBound) * (measured[index]! - meanMeasured);
    variance += (bound - meanBound) ** 2;
  });
  const routeStretch = Math.max(1, variance > 0 ? covariance / variance : meanMeasured / meanBound);
  const residuals = Float64Array.from(bounds, (bound, index) => measured[index]! - routeStretch * bound).sort();
  return { overheadMs: round(Math.max(0, quantileOfSorted(residuals, 0.5))), routeStretch: round(routeStretch), fittedSessions: bounds.length };
}

/** Aggregates located sessions into grid cells (per current server). */
export function buildPopulation(sessions: readonly NormalizedSession[], cellDegrees = 1): PopulationUnit[] {
  const cells = new Map<string, { latitude: number; longitude: number; weight: number; site: PopulationUnit["currentSite"] }>();
  for (const session of sessions) {
    const location = session.playerLocation;
    if (location === undefined) continue;
    const key = `${Math.round(location.latitude / cellDegrees)}|${Math.round(location.longitude / cellDegrees)}|${session.serverLabel ?? ""}`;
    let cell = cells.get(key);
    if (cell === undefined) {
      cell = {
        latitude: 0,
        longitude: 0,
        weight: 0,
        site: session.serverLocation !== undefined ? { point: session.serverLocation, label: session.serverLabel! } : undefined,
      };
      cells.set(key, cell);
    }
    cell.latitude += location.latitude;
    cell.longitude += location.longitude;
    cell.weight += 1;
  }
  return [...cells.keys()].sort().map((key) => {
    const cell = cells.get(key)!;
    const unit: PopulationUnit = { location: { latitude: cell.latitude / cell.weight, longitude: cell.longitude / cell.weight }, weight: cell.weight };
    if (cell.site !== undefined) unit.currentSite = cell.site;
    return unit;
  });
}

/** Catalogue entries with distinct coordinates (first id kept), optionally restricted to ids. */
export function candidateSites(catalogue: readonly CloudRegion[], ids?: readonly string[]): CloudRegion[] {
  const seen = new Set<string>();
  const result: CloudRegion[] = [];
  for (const region of [...catalogue].sort((left, right) => (left.id < right.id ? -1 : 1))) {
    if (ids !== undefined && !ids.includes(region.id)) continue;
    const key = `${region.latitude.toFixed(2)},${region.longitude.toFixed(2)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(region);
  }
  return result;
}

/**
 * Placement analysis for the observed population: observed latency, modelled
 * latency under the current placement, the best `k` sites from the catalogue,
 * and the best single site to add. `null` when no session has a player location.
 */
export function planPlacement(sessions: readonly NormalizedSession[], options: PlacementOptions = {}): Placement | null {
  const population = buildPopulation(sessions, options.cellDegrees ?? 1);
  if (population.length === 0) return null;
  const fitted = options.model !== undefined ? { ...options.model, fittedSessions: 0 } : fitLatencyModel(sessions);
  const model: LatencyModel = { overheadMs: fitted.overheadMs, routeStretch: fitted.routeStretch };
  const objective = options.objective ?? "minimizeP95";
  const targetMs = options.targetMs ?? 80;
  const candidates = candidateSites(options.catalogue ?? CLOUD_REGIONS, options.candidateSites);
  const predict = (location: GeoPoint, site: GeoPoint): number =>
    model.overheadMs + model.routeStretch * speedOfLightRttMs(greatCircleDistanceKm(location, site));
  const weights = Float64Array.from(population, (unit) => unit.weight);
  const located = sessions.filter((session) => session.playerLocation !== undefined);
  const observedRtt = Float64Array.from(located, (session) => session.rttP50Ms);
  const observed = scoreOf(observedRtt, new Float64Array(observedRtt.length).fill(1), targetMs);
  const currentSites = [...new Set(population.flatMap((unit) => (unit.currentSite !== undefined ? [unit.currentSite.label] : [])))].sort();
  let current: PlacementOutcome | null = null;
  let currentRtt: Float64Array | undefined;
  let addOne: Placement["addOne"] = null;
  const servedToday = population.every((unit) => unit.currentSite !== undefined);
  if (servedToday) {
    currentRtt = Float64Array.from(population, (unit) => predict(unit.location, unit.currentSite!.point));
    const score = scoreOf(currentRtt, weights, targetMs);
    current = { sites: currentSites, rttMs: percentiles(score), shareUnderTarget: round(score.share) };
    let bestAdd: { site: CloudRegion; score: Score } | undefined;
    const trial = new Float64Array(population.length);
    for (const site of candidates) {
      population.forEach((unit, index) => {
        trial[index] = Math.min(currentRtt![index]!, predict(unit.location, site));
      });
      const candidateScore = scoreOf(trial, weights, targetMs);
      if (better(candidateScore, bestAdd?.score, objective)) bestAdd = { site, score: candidateScore };
    }
    if (bestAdd !== undefined) {
      addOne = {
        sites: [...currentSites, bestAdd.site.id].sort(),
        added: bestAdd.site.id,
        rttMs: percentiles(bestAdd.score),
        shareUnderTarget: round(bestAdd.score.share),
        gainP95Ms: round(score.p95 - bestAdd.score.p95),
      };
    }
  }
  const k = Math.min(candidates.length, options.k ?? Math.max(1, currentSites.length));
  const best = optimizePlacement(population, candidates, k, model, { objective, targetMs, maxExactEvaluations: options.maxExactEvaluations });
  return {
    objective,
    targetMs,
    k,
    model: {
      overheadMs: model.overheadMs,
      routeStretch: model.routeStretch,
      fittedSessions: fitted.fittedSessions,
      formula: "rttMs = overheadMs + routeStretch × 2 × greatCircleDistanceKm / 200",
    },
    assumptions: [
      "Each player is served by the chosen site with the lowest modelled RTT (matchmaking by latency; capacity and match population ignored).",
      "Modelled RTT = overhead (access network, server processing) + route stretch × speed-of-light RTT bound, one model fitted to all located sessions; real routes to a new site may be better or worse.",
      `Players are aggregated into ${options.cellDegrees ?? 1}° grid cells; each session counts once (players who play more count more).`,
      "Sessions without a player location are left out; the catalogue coordinates are metro areas (±50 km).",
      options.model !== undefined ? "The latency model was given, not fitted." : fitted.fittedSessions < 3 ? "Too few sessions with both locations to fit the model: default overhead 10 ms, stretch 2." : `Model fitted on ${fitted.fittedSessions} sessions.`,
    ],
    population: { sessions: located.length, cells: population.length },
    observed: { rttMs: percentiles(observed), shareUnderTarget: round(observed.share) },
    current,
    best: { ...best, gainP95Ms: current !== null ? round(current.rttMs.p95 - best.rttMs.p95) : null },
    addOne,
  };
}
