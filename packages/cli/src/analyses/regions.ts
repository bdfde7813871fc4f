import { createRegionsAnalyzer, type RegionsAnalyzerOptions, type RegionsReport } from "@tickscope/regions";
import type { AnalysisSection, MetricSample } from "../analysis-section.js";
import { formatNumber } from "../formats/markdown-format.js";
import type { AnalysisAdapter } from "./analysis-adapter.js";

/**
 * What the significance tests said — and, when a region had too few sessions
 * to test, that nothing was tested (never "no significant difference" for a
 * test that did not run).
 */
function significanceAnswer(report: RegionsReport): string {
  const minimum = report.method.minimumSessions;
  const tested = report.comparisons.filter((comparison) => comparison.pValue !== null);
  const untestedRegions = report.regions.filter((region) => region.sessions < minimum);
  const sessionCounts = (regions: RegionsReport["regions"]): string => regions.map((region) => `${region.name} ${region.sessions}`).join(", ");
  if (tested.length === 0) {
    const sessions = report.regions.reduce((sum, region) => sum + region.sessions, 0);
    return `Differences between regions not tested: ${sessions} session(s) (${sessionCounts(report.regions)}), need ≥ ${minimum} per region for a significance test.`;
  }
  const significant = tested.filter((comparison) => comparison.significant);
  const untested = untestedRegions.length === 0 ? "" : ` Not tested: ${sessionCounts(untestedRegions)} session(s), need ≥ ${minimum}.`;
  return significant.length === 0
    ? `No significant difference between regions (${tested.length} of ${report.comparisons.length} comparison(s) tested, ${report.method.correction} corrected, α ${report.method.alpha}).${untested}`
    : `${significant.length} of ${tested.length} tested comparison(s) significant: ${significant.slice(0, 3).map((comparison) => comparison.conclusion).join(" ")}${untested}`;
}

/** Builds the regions section: per-region figures, significant differences, challenges and placement. */
export function regionsSection(report: RegionsReport): AnalysisSection {
  const answer: string[] = [];
  const skipped = report.sessions?.skipped ?? {};
  const labelledWithoutRtt = skipped.E_REGIONS_NO_RTT ?? 0;
  if (report.regions.length === 0) {
    // labels were given but no labelled session had an RTT: not "no region labels"
    answer.push(
      labelledWithoutRtt > 0
        ? `No region compared: ${labelledWithoutRtt} labelled session(s), none with an RTT (regions compare RTT: the definition needs ack, echo or reported-RTT roles).`
        : "No region labels: give captures as --region name=capture to compare regions.",
    );
  } else {
    // a region's percentiles are over its sessions' median RTTs, not over every sample
    answer.push(
      `Ranking (best first): ${report.ranking.join(" > ")}. ` +
        report.regions
          .map((region) => `${region.name}: session-median RTT p50 ${formatNumber(region.rttMs.p50)} ms, p95 ${formatNumber(region.rttMs.p95)} ms over ${region.sessions} session(s), ${region.players} player(s)`)
          .join("; ") +
        "." +
        (labelledWithoutRtt > 0 ? ` ${labelledWithoutRtt} labelled session(s) without an RTT are not in it.` : ""),
    );
    answer.push(significanceAnswer(report));
    for (const challenge of report.challenges.slice(0, 3)) {
      const summary = challenge.summary.startsWith(challenge.region) ? challenge.summary : `${challenge.region}: ${challenge.summary}`;
      answer.push(`${summary} → ${challenge.suggestion}`);
    }
    if (report.placement?.addOne) {
      answer.push(`Placement: adding ${report.placement.addOne.added} would cut modelled p95 RTT by ${formatNumber(report.placement.addOne.gainP95Ms)} ms.`);
    }
  }
  const metrics: MetricSample[] = report.regions.flatMap((region) => {
    const labels = { region: region.name };
    const samples: MetricSample[] = [
      { name: "tickscope_region_rtt_p50_ms", help: "region RTT median", unit: "ms", value: region.rttMs.p50, labels },
      { name: "tickscope_region_rtt_p95_ms", help: "region RTT 95th percentile", unit: "ms", value: region.rttMs.p95, labels },
      { name: "tickscope_region_players", help: "players in the region", unit: "1", value: region.players, labels },
    ];
    if (region.lossRate !== null) samples.push({ name: "tickscope_region_loss_rate", help: "region loss rate", unit: "1", value: region.lossRate, labels });
    if (region.jitterMs !== null) samples.push({ name: "tickscope_region_jitter_ms", help: "region jitter", unit: "ms", value: region.jitterMs, labels });
    return samples;
  });
  return {
    analysis: "regions",
    question: "How do the server regions compare, and which differences are real?",
    answer,
    findings: report.findings,
    recommendations: [],
    metrics,
    tables: [
      {
        name: "regions",
        rows: report.regions.map((region) => ({
          region: region.name,
          rank: region.rank,
          players: region.players,
          rttP50Ms: region.rttMs.p50,
          rttP95Ms: region.rttMs.p95,
          rttP99Ms: region.rttMs.p99,
          jitterMs: region.jitterMs,
          lossRate: region.lossRate,
          speedOfLightMs: region.speedOfLightMs,
          routeStretch: region.routeStretch,
          experienceScore: region.experience.score,
        })),
        bar: { labelColumn: "region", valueColumn: "rttP95Ms", unit: "ms" },
      },
      {
        name: "region-comparisons",
        rows: report.comparisons.map((comparison) => ({
          a: comparison.a,
          b: comparison.b,
          metric: comparison.metric,
          difference: comparison.difference,
          ciLow: comparison.ci?.[0] ?? null,
          ciHigh: comparison.ci?.[1] ?? null,
          pValueAdjusted: comparison.pValueAdjusted,
          significant: comparison.significant,
        })),
      },
    ],
    series: [],
    report,
  };
}

/** `tickscope analyze` adapter of `@tickscope/regions`: sessions carry their region from `--region name=capture`. */
export const regionsAdapter: AnalysisAdapter = {
  name: "regions",
  question: "How do the server regions compare, and which differences are real?",
  // Reads entity roles only during onMessage (copies what it keeps): see AnalysisAdapter.copiesEntityRoles.
  copiesEntityRoles: true,
  // Keeps no message or roles object past onMessage (only copied values): see AnalysisAdapter.copiesMessages.
  copiesMessages: true,
  create(context) {
    const settings = (context.settings.regions ?? {}) as RegionsAnalyzerOptions;
    // The config file gives these as maps (analysis-settings-schema.ts); the adapter's functions below consult them.
    const configuredRegions = typeof settings.regionOfSession === "object" ? settings.regionOfSession : undefined;
    const configuredLocations = typeof settings.playerLocationOfSession === "object" ? settings.playerLocationOfSession : undefined;
    // RTT sampling and spike detection as the latency analysis is configured, so both report the same per-session figures.
    const latency = (context.settings.latency ?? {}) as Pick<RegionsAnalyzerOptions, "spike" | "maxSpikesPerSeries" | "reportedRttLogKeys" | "ack">;
    return createRegionsAnalyzer({
      spike: latency.spike,
      maxSpikesPerSeries: latency.maxSpikesPerSeries,
      reportedRttLogKeys: latency.reportedRttLogKeys,
      ack: latency.ack,
      // Every region label is known when a session starts (--region, --server-region set it at onSession) unless a
      // server log may label it later or a later part of the session may (a partial merged across a rotation cut):
      // then unlabelled sessions are measured too. The disjoint sessions of --thread-cut sessions decide as a plain run.
      measureOnlyLabelledSessions: context.statesJoinSessionParts !== true && context.hasServerLog !== true,
      ...settings,
      // Labels from the capture (--region, --server-region) first, then the config file's own maps (keyed by session id).
      regionOfSession: (sessionId, session) => session?.region ?? context.regionOfSession.get(sessionId) ?? configuredRegions?.[sessionId],
      playerLocationOfSession: (rawId, session) =>
        (session === undefined ? undefined : context.clientLocations.get(session.client.address)) ?? configuredLocations?.[session?.id ?? rawId] ?? configuredLocations?.[rawId],
      comparison: { ...settings.comparison, serverSites: { ...settings.comparison?.serverSites, ...context.serverSites } },
    });
  },
  toSection: (report) => regionsSection(report as RegionsReport),
};
