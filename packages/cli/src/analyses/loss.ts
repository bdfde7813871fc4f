import { CAPTURE_DUPLICATE_WINDOW_US, type Recommendation } from "@tickscope/core";
import { LossAnalyzer, type LossAnalyzerOptions, type LossReport } from "@tickscope/loss";
import type { AnalysisSection, MetricSample } from "../analysis-section.js";
import { formatNumber } from "../formats/markdown-format.js";
import type { AnalysisAdapter } from "./analysis-adapter.js";
import { notDecodedReason, undecryptedReason, type DecodeOutcomeContext } from "./undecoded-traffic.js";

function percent(rate: number): string {
  return `${formatNumber(rate * 100)}%`;
}

/** How much a measured fix changes its metric (lower-is-better or higher-is-better alike). */
function measuredEffect(recommendation: Recommendation): number {
  return Math.abs(recommendation.after - recommendation.before);
}

/**
 * The fix to quote for each metric (input loss, buffer coverage, head-of-line
 * stalls): the verified recommendation with the largest measured effect — the
 * most affected session's, not the first session's in id order. Metrics in
 * the order they first appear.
 */
export function bestMeasuredFixes(recommendations: readonly Recommendation[]): Recommendation[] {
  const best = new Map<string, Recommendation>();
  for (const recommendation of recommendations) {
    if (!recommendation.verified) continue;
    const current = best.get(recommendation.metric);
    if (current === undefined || measuredEffect(recommendation) > measuredEffect(current)) best.set(recommendation.metric, recommendation);
  }
  return [...best.values()];
}

/** Recommendations for the report: per metric (first-appearance order), largest measured effect first. */
function byMeasuredEffect(recommendations: readonly Recommendation[]): Recommendation[] {
  const metricOrder = new Map<string, number>();
  for (const recommendation of recommendations) if (!metricOrder.has(recommendation.metric)) metricOrder.set(recommendation.metric, metricOrder.size);
  return [...recommendations].sort(
    (left, right) => metricOrder.get(left.metric)! - metricOrder.get(right.metric)! || measuredEffect(right) - measuredEffect(left),
  );
}

/**
 * Builds the loss section: loss per stream and kind of data, burst structure,
 * sync impact and measured fixes. Loss counts sequence numbers — sequenced
 * messages, several per datagram on protocols that pack messages — and says so.
 */
export function lossSection(report: LossReport, context?: DecodeOutcomeContext): AnalysisSection {
  const streams = report.sessions.filter((stream) => stream.expected > 0);
  const answer: string[] = [];
  const undecoded = notDecodedReason(context);
  const undecrypted = undecryptedReason(context);
  if (undecoded !== undefined) answer.push(`Not measured: ${undecoded}. Loss needs a sequence (or ack) role to know what was sent.`);
  else if (streams.length === 0) {
    answer.push(
      undecrypted === undefined
        ? "Not measured: no sequenced traffic — the definition has no sequence or ack role, or no message carried one."
        : `Not measured: ${undecrypted.text}. Loss needs a sequence (or ack) role to know what was sent.`,
    );
  }
  else {
    if (undecrypted?.mostly === true) answer.push(`Mostly not measured: ${undecrypted.text}; the figures below cover only the messages that were decoded.`);
    const expected = streams.reduce((sum, stream) => sum + stream.expected, 0);
    const lost = streams.reduce((sum, stream) => sum + stream.lost, 0);
    const worst = [...streams].sort((left, right) => right.lossRate - left.lossRate)[0]!;
    answer.push(
      `${percent(expected === 0 ? 0 : lost / expected)} of ${expected} expected sequence numbers lost overall (sequenced messages, not datagrams; ${streams.length} sequence space(s)); worst stream ${worst.id} ${worst.direction} ` +
        `(${worst.messageType}) lost ${percent(worst.lossRate)} [${percent(worst.lossRateInterval.lower)}, ${percent(worst.lossRateInterval.upper)}], ` +
        `mean burst ${formatNumber(worst.bursts.meanLength)}, longest ${worst.bursts.maxLength}.`,
    );
    if (worst.netem !== null) answer.push(`Reproduce the worst link in the lab: ${worst.netem}`);
    // duplicates are not loss (Wireshark counts them as negative loss): name them beside it
    const duplicated = streams.filter((stream) => stream.duplicates > 0);
    if (duplicated.length > 0) {
      const duplicates = duplicated.reduce((sum, stream) => sum + stream.duplicates, 0);
      answer.push(
        `${duplicates} duplicate(s) in ${duplicated.length} stream(s) (most in ${[...duplicated].sort((left, right) => right.duplicates - left.duplicates)[0]!.id}): ` +
          "sequence numbers received twice, counted apart from loss — a resending sender or a network that duplicates (datagrams the capture saw twice are not among them).",
      );
    }
    const captured = streams.filter((stream) => stream.captureDuplicates > 0);
    if (captured.length > 0) {
      const copies = captured.reduce((sum, stream) => sum + stream.captureDuplicates, 0);
      answer.push(
        `${copies} sequence number(s) in ${captured.length} stream(s) were captured twice (byte-identical datagrams within ${formatNumber(CAPTURE_DUPLICATE_WINDOW_US / 1000)} ms ` +
          "with the same IP identification, or on two capture interfaces: a mirrored port or two capture points): capture duplicates, not sent or received twice, so each counts once as received and not as a duplicate.",
      );
    }
  }
  const inputImpacts = report.syncImpact
    .flatMap((impact) => (impact.kind === "input" && impact.inputsExpected > 0 && impact.residualInputLossRate > 0 ? [impact] : []))
    .sort((left, right) => right.residualInputLossRate - left.residualInputLossRate);
  for (const impact of inputImpacts.slice(0, 3)) {
    answer.push(
      `Inputs (${impact.id}): ${percent(impact.residualInputLossRate)} lost even with redundancy ${impact.currentRedundancy} (datagram loss ${percent(impact.datagramLossRate)}).`,
    );
  }
  if (inputImpacts.length > 3) answer.push(`${inputImpacts.length - 3} more session(s) lose inputs despite redundancy (see syncImpact).`);
  const stateStale = report.syncImpact.filter((impact) => impact.kind === "state" && impact.exceedsInterpolationDelay > 0);
  if (stateStale.length > 0) {
    const total = stateStale.reduce((sum, impact) => sum + (impact.kind === "state" ? impact.exceedsInterpolationDelay : 0), 0);
    answer.push(`State updates: ${total} gap(s) longer than the interpolation delay (clients had to extrapolate) in ${stateStale.length} stream(s).`);
  }
  for (const best of bestMeasuredFixes(report.recommendations)) {
    answer.push(`Best measured fix${best.session === undefined ? "" : ` (${best.session}, the most affected)`}: ${best.title}.`);
  }
  const metrics: MetricSample[] = streams.flatMap((stream) => {
    const labels = { session: stream.id, direction: stream.direction, channel: stream.channel ?? "", type: stream.messageType };
    return [
      { name: "tickscope_loss_rate", help: "datagrams lost / expected", unit: "1", value: stream.lossRate, labels },
      { name: "tickscope_loss_burst_max_packets", help: "longest loss burst", unit: "1", value: stream.bursts.maxLength, labels },
      { name: "tickscope_duplicates", help: "duplicated datagrams", unit: "1", value: stream.duplicates, labels },
      { name: "tickscope_capture_duplicates", help: "datagrams the capture saw twice (not sent twice)", unit: "1", value: stream.captureDuplicates, labels },
      { name: "tickscope_reordered", help: "reordered datagrams", unit: "1", value: stream.reordered, labels },
    ];
  });
  return {
    analysis: "loss",
    question: "Which game data is lost, in what bursts, and what does it do to sync?",
    answer,
    findings: report.findings,
    recommendations: byMeasuredEffect(report.recommendations),
    metrics,
    tables: [
      {
        name: "loss-streams",
        rows: report.sessions.map((stream) => ({
          session: stream.id,
          direction: stream.direction,
          channel: stream.channel,
          type: stream.messageType,
          method: stream.method,
          expected: stream.expected,
          received: stream.received,
          lost: stream.lost,
          lossRate: stream.lossRate,
          duplicates: stream.duplicates,
          captureDuplicates: stream.captureDuplicates,
          reordered: stream.reordered,
          late: stream.late,
          meanBurst: stream.bursts.meanLength,
          maxBurst: stream.bursts.maxLength,
          resets: stream.resets.count,
          netem: stream.netem,
        })),
        bar: { labelColumn: "session", valueColumn: "lossRate", unit: "" },
      },
    ],
    series: [],
    report,
  };
}

/** `tickscope analyze` adapter of `@tickscope/loss`. */
export const lossAdapter: AnalysisAdapter = {
  name: "loss",
  question: "Which game data is lost, in what bursts, and what does it do to sync?",
  // Reads entity roles only during onMessage (copies what it keeps): see AnalysisAdapter.copiesEntityRoles.
  copiesEntityRoles: true,
  // Keeps no message or roles object past onMessage (only copied values): see AnalysisAdapter.copiesMessages.
  copiesMessages: true,
  create: (context) => new LossAnalyzer({ ...(context.settings.loss as LossAnalyzerOptions | undefined), keepSeamLog: context.statesJoinSessionParts === true }),
  toSection: (report, context) => lossSection(report as LossReport, context),
};
