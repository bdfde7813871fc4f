import type { Finding } from "@tickscope/core";
import type { Challenge, ProtocolSettings, RegionFigures } from "./report-schema.js";
import { quantileOfSorted } from "./statistics.js";

/** Thresholds that make a metric "out of line" (defaults in brackets). */
export interface ChallengeThresholds {
  /** Jitter above max(ratio × reference, reference + marginMs) or above absoluteMs [2, 5, 20]. */
  jitter?: { ratio: number; marginMs: number; absoluteMs: number };
  /** Loss above max(ratio × reference, reference + margin) or above absolute [2, 0.005, 0.03]. */
  loss?: { ratio: number; margin: number; absolute: number };
  /** Mean loss-burst length (p95 over sessions) from which loss is called bursty [2]. */
  burstyLength?: number;
  /** Spikes per minute above max(ratio × reference, reference + margin) [2, 0.5]. */
  spikes?: { ratio: number; margin: number };
  /** Route stretch above max(ratio × reference, absolute) [1.5, 2.5]. */
  stretch?: { ratio: number; absolute: number };
  /** Median RTT above ratio × reference [1.5]. */
  distanceRatio?: number;
  /** p95 / p50 RTT above this [2.5]. */
  tailRatio?: number;
}

const median = (values: number[]): number => quantileOfSorted(Float64Array.from(values).sort(), 0.5);

function reference(figures: readonly RegionFigures[], self: RegionFigures, pick: (region: RegionFigures) => number | null): number {
  const others = figures.filter((region) => region !== self).map(pick).filter((value): value is number => value !== null);
  return others.length === 0 ? Number.NaN : median(others);
}

function severityOf(ratio: number): Challenge["severity"] {
  return ratio >= 4 ? "high" : ratio >= 2 ? "medium" : "low";
}

/**
 * Finds region-specific challenges: a metric out of line with the other
 * regions (their median) or above an absolute threshold, with what it
 * suggests. Sorted by region, then kind.
 */
export function deriveChallenges(
  figures: readonly RegionFigures[],
  settings: readonly ProtocolSettings[],
  thresholds: ChallengeThresholds = {},
): Challenge[] {
  const jitter = thresholds.jitter ?? { ratio: 2, marginMs: 5, absoluteMs: 20 };
  const loss = thresholds.loss ?? { ratio: 2, margin: 0.005, absolute: 0.03 };
  const burstyLength = thresholds.burstyLength ?? 2;
  const spikes = thresholds.spikes ?? { ratio: 2, margin: 0.5 };
  const stretch = thresholds.stretch ?? { ratio: 1.5, absolute: 2.5 };
  const distanceRatio = thresholds.distanceRatio ?? 1.5;
  const tailRatio = thresholds.tailRatio ?? 2.5;
  const challenges: Challenge[] = [];
  for (const region of figures) {
    const setting = settings.find((entry) => entry.region === region.name);
    const add = (challenge: Omit<Challenge, "region">): void => {
      challenges.push({ region: region.name, ...challenge });
    };
    if (region.jitterMs !== null) {
      const ref = reference(figures, region, (entry) => entry.jitterMs);
      const limit = Number.isNaN(ref) ? jitter.absoluteMs : Math.min(jitter.absoluteMs, Math.max(jitter.ratio * ref, ref + jitter.marginMs));
      if (region.jitterMs > limit) {
        const shown = Number.isNaN(ref) ? jitter.absoluteMs : ref;
        add({
          kind: "highJitter",
          metric: "jitterMs",
          value: region.jitterMs,
          reference: shown,
          severity: severityOf(region.jitterMs / Math.max(shown, 1)),
          // without another measured region the reference is the absolute limit, never "elsewhere"
          summary: Number.isNaN(ref)
            ? `${region.name}: median jitter ${region.jitterMs.toFixed(1)} ms, above the ${shown.toFixed(1)} ms limit (no other region measured to compare).`
            : `${region.name}: median jitter ${region.jitterMs.toFixed(1)} ms vs ${shown.toFixed(1)} ms elsewhere.`,
          suggestion: `Use a bigger interpolation buffer there${setting !== undefined ? ` (${setting.interpolationDelayMs} ms at ${setting.snapshotRateHz} Hz)` : ""}; check the access networks (Wi-Fi, mobile) of the affected players.`,
        });
      }
    }
    if (region.lossRate !== null) {
      const ref = reference(figures, region, (entry) => entry.lossRate);
      const limit = Number.isNaN(ref) ? loss.absolute : Math.min(loss.absolute, Math.max(loss.ratio * ref, ref + loss.margin));
      if (region.lossRate > limit) {
        const shown = Number.isNaN(ref) ? loss.absolute : ref;
        const bursty = region.lossBurstP95Length >= burstyLength;
        add({
          kind: bursty ? "burstyLoss" : "randomLoss",
          metric: "lossRate",
          value: region.lossRate,
          reference: shown,
          severity: severityOf(region.lossRate / Math.max(shown, 0.001)),
          summary: Number.isNaN(ref)
            ? `${region.name}: loss ${(region.lossRate * 100).toFixed(2)}%, above the ${(shown * 100).toFixed(2)}% limit (no other region measured to compare); p95 burst length ${region.lossBurstP95Length}.`
            : `${region.name}: loss ${(region.lossRate * 100).toFixed(2)}% vs ${(shown * 100).toFixed(2)}% elsewhere; p95 burst length ${region.lossBurstP95Length}.`,
          suggestion: bursty
            ? `Loss comes in bursts: send more input redundancy there (${setting?.inputRedundancy ?? 2}+ inputs per packet) and buffer one more snapshot interval.`
            : `Loss is isolated: 2 inputs per packet hide it; consider forward error correction for reliable messages.`,
        });
      }
    }
    if (region.spikesPerMinute !== null) {
      const ref = reference(figures, region, (entry) => entry.spikesPerMinute);
      if (!Number.isNaN(ref) && region.spikesPerMinute > Math.max(spikes.ratio * ref, ref + spikes.margin)) {
        add({
          kind: "latencySpikes",
          metric: "spikesPerMinute",
          value: region.spikesPerMinute,
          reference: ref,
          severity: severityOf(region.spikesPerMinute / Math.max(ref, 0.1)),
          summary: `${region.name}: ${region.spikesPerMinute.toFixed(2)} latency spikes per minute vs ${ref.toFixed(2)} elsewhere.`,
          suggestion: "Investigate the route (congested peering, ISP) at the spike times; smooth time sync and extrapolate through short spikes.",
        });
      }
    }
    if (region.routeStretch !== null) {
      const ref = reference(figures, region, (entry) => entry.routeStretch);
      const limit = Number.isNaN(ref) ? stretch.absolute : Math.max(stretch.ratio * ref, stretch.absolute);
      if (region.routeStretch > limit) {
        add({
          kind: "routingInefficiency",
          metric: "routeStretch",
          value: region.routeStretch,
          reference: Number.isNaN(ref) ? stretch.absolute : ref,
          severity: severityOf(region.routeStretch / 1.5),
          summary: `${region.name}: RTT is ${region.routeStretch.toFixed(2)}× the speed-of-light bound (${region.speedOfLightMs} ms).`,
          suggestion: "Routes are much longer than the distance: check peering/transit of the worst prefixes and ASes (see routing), or a provider with better local peering.",
        });
      }
    }
    const rttRef = reference(figures, region, (entry) => entry.rttMs.p50);
    if (!Number.isNaN(rttRef) && region.rttMs.p50 > distanceRatio * rttRef && (region.routeStretch === null || region.routeStretch <= stretch.absolute)) {
      add({
        kind: "distance",
        metric: "rttP50Ms",
        value: region.rttMs.p50,
        reference: rttRef,
        severity: severityOf(region.rttMs.p50 / rttRef),
        summary: `${region.name}: median RTT ${region.rttMs.p50.toFixed(1)} ms vs ${rttRef.toFixed(1)} ms elsewhere${region.routeStretch !== null ? ` with an efficient route (stretch ${region.routeStretch.toFixed(2)})` : ""}.`,
        suggestion: "The players are far from the server: only a closer site helps (see placement).",
      });
    }
    if (region.rttMs.p50 > 0 && region.rttMs.p95 / region.rttMs.p50 > tailRatio) {
      add({
        kind: "latencyTail",
        metric: "rttP95Ms",
        value: region.rttMs.p95,
        reference: region.rttMs.p50,
        severity: severityOf(region.rttMs.p95 / region.rttMs.p50 / tailRatio + 1),
        summary: `${region.name}: p95 session RTT ${region.rttMs.p95.toFixed(1)} ms is ${(region.rttMs.p95 / region.rttMs.p50).toFixed(1)}× the median.`,
        suggestion: "A share of the players is far away or badly routed: an additional site (see placement.addOne) or per-player lag compensation limits.",
      });
    }
  }
  return challenges.sort((left, right) => (left.region < right.region ? -1 : left.region > right.region ? 1 : left.kind < right.kind ? -1 : 1));
}

/**
 * Turns challenges into core {@link Finding}s (`analysis: "regions"`, id
 * `regions.<kind>.<region>`), spanning each region's observed time range
 * (`timeRanges`, 0–0 when unknown). Evidence: the metric, its value and the
 * reference it was judged against.
 */
export function challengesToFindings(
  challenges: readonly Challenge[],
  timeRanges: ReadonlyMap<string, { startUs: number; endUs: number }> = new Map(),
): Finding[] {
  return challenges.map((challenge) => {
    const range = timeRanges.get(challenge.region) ?? { startUs: 0, endUs: 0 };
    return {
      id: `regions.${challenge.kind}.${challenge.region}`,
      analysis: "regions",
      kind: challenge.kind,
      severity: challenge.severity,
      startUs: range.startUs,
      endUs: range.endUs,
      summary: `${challenge.summary} ${challenge.suggestion}`,
      evidence: {
        values: { region: challenge.region, metric: challenge.metric, value: challenge.value, reference: challenge.reference },
        packetIndices: [],
      },
    };
  });
}
