import type { BandwidthRecommendation } from "./bandwidth-report.js";

/**
 * Keeps only recommendations that save bytes: a change whose measured (or
 * estimated) size after is not smaller than before — delta encoding against
 * the last sent message on a protocol whose messages rarely repeat, say — is
 * no recommendation. Each dropped one becomes a note saying what was measured,
 * so the trial is not silently lost. Order is kept.
 */
export function savingRecommendations(recommendations: readonly BandwidthRecommendation[], notes: string[]): BandwidthRecommendation[] {
  const kept: BandwidthRecommendation[] = [];
  for (const recommendation of recommendations) {
    if (recommendation.bytesAfter < recommendation.bytesBefore) {
      kept.push(recommendation);
      continue;
    }
    const added = recommendation.bytesAfter - recommendation.bytesBefore;
    notes.push(
      `Not recommended: ${recommendation.title} — ${recommendation.verified ? "measured" : "estimated"} ${recommendation.bytesBefore} → ${recommendation.bytesAfter} ` +
        `${recommendation.metric} (${added === 0 ? "no saving" : `${added} bytes more`}) on ${recommendation.scope}.`,
    );
  }
  return kept;
}
