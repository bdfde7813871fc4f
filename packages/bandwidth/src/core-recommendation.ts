import type { Recommendation } from "@tickscope/core";
import type { BandwidthRecommendation } from "./bandwidth-report.js";

/** Converts a bandwidth recommendation to the shared `Recommendation` shape of `@tickscope/core`. */
export function toCoreRecommendation(recommendation: BandwidthRecommendation): Recommendation {
  const cost: Recommendation["cost"] = {
    bytesPerSecond: -recommendation.bytesPerSecondSaved,
    maxError: recommendation.cost.maxError,
    addedDelayMs: recommendation.cost.addedDelayMs,
  };
  if (recommendation.cost.note !== undefined) cost.note = recommendation.cost.note;
  return {
    id: recommendation.id,
    analysis: "bandwidth",
    kind: recommendation.kind,
    title: recommendation.title,
    metric: recommendation.metric,
    before: recommendation.bytesBefore,
    after: recommendation.bytesAfter,
    verified: recommendation.verified,
    method: `${recommendation.method} (${recommendation.scope})`,
    cost,
  };
}
