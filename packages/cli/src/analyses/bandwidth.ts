import {
  CAPTURE_DUPLICATE_WINDOW_US,
  createBandwidthAnalyzer,
  layoutsFromDefinition,
  LayoutReencoder,
  parseBandwidth,
  parseTolerances,
  toCoreRecommendation,
  type BandwidthAnalyzer,
  type BandwidthOptions,
  type BandwidthReport,
  type ProtocolDefinitionLike,
} from "@tickscope/bandwidth";
import { compileProtocol, parseKeyFile, type CompiledProtocol, type ProtocolDefinition } from "@tickscope/core/protocol";
import type { AnalysisSection, MetricSample } from "../analysis-section.js";
import { formatNumber } from "../formats/markdown-format.js";
import { resolveToleranceNames } from "../tolerance-names.js";
import { readTextFileSync } from "../load-inputs.js";
import type { AnalysisAdapter, AnalysisContext } from "./analysis-adapter.js";
import { notDecodedReason } from "./undecoded-traffic.js";

function kilobitsPerSecond(bytesPerSecond: number): string {
  return `${formatNumber((bytesPerSecond * 8) / 1000)} kbit/s`;
}

/** Builds the bandwidth section: where the bytes go and the measured savings of each change. */
export function bandwidthSection(report: BandwidthReport, context?: AnalysisContext): AnalysisSection {
  const answer: string[] = [];
  const totals = report.totals;
  // no datagram to account (none in the capture, or a definition that matched none): not "0 kbit/s on the wire";
  // without a definition bandwidth still counts every UDP datagram, so only a definition's mismatch is a reason
  const notDecoded =
    totals.packets !== 0 ? undefined : context?.definition !== undefined ? (notDecodedReason(context) ?? "no datagram of the game was captured") : "the capture holds no UDP datagram in a session";
  if (notDecoded !== undefined) answer.push(`Not measured: ${notDecoded}.`);
  const types = [...report.byMessageType].sort((left, right) => right.bytes - left.bytes);
  if (notDecoded === undefined) answer.push(
    `${kilobitsPerSecond(totals.bytesPerSecond)} on the wire (${formatNumber(totals.packetsPerSecond)} packets/s, peak ${kilobitsPerSecond(totals.peakBytesPerSecond)})` +
      // rates are over the active time: say so when silences (a stitched file, a clock jump, pauses) were left out
      ((totals.idleGaps ?? 0) > 0
        ? ` over ${formatNumber(totals.activeDurationMs / 1000)} s of traffic (${totals.idleGaps} silence(s) over 120 s left out of the ${formatNumber(totals.durationMs / 1000)} s capture span)`
        : "") +
      "; " +
      // headerShare is (wire − UDP payload) / wire: the link-layer header is in it, so it is named.
      `link+IP+UDP headers are ${formatNumber(totals.headerShare * 100)}% of wire bytes.` +
      (types.length > 0 ? ` Biggest: ${types.slice(0, 3).map((type) => `${type.type} ${type.direction} ${formatNumber(type.share * 100)}%`).join(", ")}.` : ""),
  );
  const captured = report.captureDuplicates;
  if (notDecoded === undefined && captured !== undefined && captured.packets > 0) {
    // the same datagram captured twice (span port, two interfaces) is no resend: no protocol change for it
    answer.push(
      `${captured.packets} datagram(s) (${captured.wireBytes} wire bytes, first frame ${captured.firstPacketIndex + 1}) were captured twice (same IP identification within ` +
        `${formatNumber(CAPTURE_DUPLICATE_WINDOW_US / 1000)} ms, or on two capture interfaces): capture duplicates, not resends, so no change to the protocol is suggested for them; the rates above include them.`,
    );
  }
  const verified = report.recommendations.filter((recommendation) => recommendation.verified);
  if (verified.length > 0) {
    const best = [...verified].sort((left, right) => right.bytesPerSecondSaved - left.bytesPerSecondSaved)[0]!;
    answer.push(`Largest measured saving: ${best.title} saves ${formatNumber(best.savingsRatio * 100)}% of ${best.scope} (re-encoded).`);
  }
  if (report.plan.steps.length > 0) {
    answer.push(
      `All measured changes together: ${formatNumber(report.plan.megabitsPerSecondBefore)} → ${formatNumber(report.plan.megabitsPerSecondAfter)} Mbit/s ` +
        `(${formatNumber(report.plan.savingsRatio * 100)}% saved, verified by re-encoding` +
        (report.measuredWindow.sampledBlocks < report.measuredWindow.populationBlocks && report.plan.savingsRatioLow !== undefined
          ? ` ${report.measuredWindow.sampledBlocks} of ${report.measuredWindow.populationBlocks} one-second blocks, 95% CI ${formatNumber(report.plan.savingsRatioLow * 100)}–${formatNumber(report.plan.savingsRatioHigh! * 100)}%).`
          : ")."),
    );
  }
  const budget = report.plan.budget;
  if (budget !== undefined) {
    answer.push(
      `Budget ${kilobitsPerSecond(budget.budgetBitsPerSecond / 8)} per session downstream: ${budget.met ? "met" : "not met"} ` +
        `(worst session ${kilobitsPerSecond(budget.worstSessionBitsPerSecond / 8)} after the plan with tolerances × ${formatNumber(budget.toleranceScale)}` +
        `${budget.updateEvery > 1 ? `, one update in ${budget.updateEvery}` : ""}; max error ${formatNumber(budget.maxError)}, added delay ${formatNumber(budget.addedDelayMs)} ms).`,
    );
  }
  const metrics: MetricSample[] = [
    { name: "tickscope_bytes_per_second", help: "wire bytes per second", unit: "By/s", value: totals.bytesPerSecond, labels: {} },
    { name: "tickscope_packets_per_second", help: "packets per second", unit: "1/s", value: totals.packetsPerSecond, labels: {} },
    ...report.byMessageType.map((type) => ({
      name: "tickscope_message_bytes_per_second",
      help: "message bytes per second by type",
      unit: "By/s",
      value: type.bytesPerSecond,
      labels: { type: type.type, direction: type.direction },
    })),
  ];
  return {
    analysis: "bandwidth",
    question: "Where do the bytes go, and which change saves how much?",
    answer,
    findings: [],
    recommendations: report.recommendations.map(toCoreRecommendation),
    metrics,
    tables: [
      {
        name: "bandwidth-message-types",
        rows: types.map((type) => ({ type: type.type, direction: type.direction, messages: type.messages, bytes: type.bytes, bytesPerSecond: type.bytesPerSecond, share: type.share })),
        bar: { labelColumn: "type", valueColumn: "bytesPerSecond", unit: "B/s" },
      },
      {
        name: "bandwidth-sessions",
        rows: report.bySession.map((session) => ({ session: session.session, direction: session.direction, packets: session.packets, wireBytes: session.wireBytes })),
      },
    ],
    series: [
      {
        name: "bytes per second, per minute",
        unit: "B/s",
        points: report.perMinute.map((minute) => [minute.startUs, minute.bytesPerSecond] as [number, number]),
        marks: [],
      },
    ],
    report,
  };
}

/**
 * Decodes the datagrams bandwidth's sample keeps once it is final (see
 * `BandwidthOptions.decodeRetainedLater`): with the pass's own compiled
 * decoder (warm, its keys and plugins; it asks `wantsFields`, which wants every
 * field once feeding ended), else the definition and key file compiled at the
 * first datagram. The pass decodes with the capture's session id; a
 * region-labelled id (`region/udp:…`, see `RegionLabeller`) is unlabelled
 * (flow ids hold no `/`) so keys are found as the pass found them.
 */
function retainedDecoder(definition: ProtocolDefinition, keyFile: string | null | undefined, passProtocol?: CompiledProtocol): NonNullable<BandwidthOptions["decodeRetainedLater"]> {
  let protocol = passProtocol;
  return {
    definition: definition as unknown as ProtocolDefinitionLike,
    decoder: {
      decodeFields(payload, context) {
        protocol ??= compileProtocol(definition, typeof keyFile === "string" ? { keys: parseKeyFile(readTextFileSync(keyFile, "key file")) } : {});
        const sessionId = context.sessionId.slice(context.sessionId.lastIndexOf("/") + 1);
        return protocol.decodeDatagramFields(payload, { ...context, sessionId }).messages;
      },
    },
  };
}

/** `tickscope analyze` adapter of `@tickscope/bandwidth`: re-encodes with layouts derived from the protocol definition. */
export const bandwidthAdapter: AnalysisAdapter = {
  name: "bandwidth",
  question: "Where do the bytes go, and which change saves how much?",
  // Its trials re-encode the decoded fields of the messages its sample keeps.
  readsFields: true,
  fieldsWanted(analyzer) {
    const bandwidth = analyzer as BandwidthAnalyzer;
    return (tUs) => bandwidth.wantsFields(tUs);
  },
  // Reads roles only in onMessage, copying what its trace keeps (copyRoles); the kept datagrams' roles are decoded again at the end.
  copiesEntityRoles: true,
  // Keeps no live message or roles object past onMessage (its trace copies; retained messages are its own): see AnalysisAdapter.copiesMessages.
  copiesMessages: true,
  commandOptions: [
    {
      flags: "--tolerance <name=value>",
      description: "precision you accept per role or field path of the protocol, e.g. position=0.01 or entities[].x=0.05 (repeatable; needs --protocol)",
      parse: (text, previous) => [...((previous as string[] | undefined) ?? []), text],
    },
    { flags: "--budget <rate>", description: "per-session downstream budget, e.g. 64kbit" },
  ],
  settingsFromOptions(options) {
    const settings: Record<string, unknown> = {};
    if (options.tolerance !== undefined) settings.tolerances = Object.fromEntries(parseTolerances(options.tolerance as string[]));
    if (options.budget !== undefined) settings.budgetBitsPerSecond = parseBandwidth(options.budget as string);
    return settings;
  },
  create(context) {
    const settings = { ...((context.settings.bandwidth ?? {}) as BandwidthOptions) };
    const definition = context.definition as unknown as ProtocolDefinitionLike | undefined;
    if (settings.tolerances !== undefined) {
      // roles and field paths become the paths the analysis matches; an unknown name is an error, not ignored
      const given = settings.tolerances instanceof Map ? settings.tolerances : new Map(Object.entries(settings.tolerances));
      settings.tolerances = resolveToleranceNames(given as ReadonlyMap<string, number>, definition);
    }
    const reencoder = context.definition === undefined ? undefined : new LayoutReencoder(layoutsFromDefinition(context.definition as unknown as ProtocolDefinitionLike).layouts);
    return createBandwidthAnalyzer({
      ...settings,
      reencoder,
      ...(context.bandwidthBlockCounts === undefined ? {} : { sharedBlockCounts: context.bandwidthBlockCounts }),
      ...(context.definition === undefined ? {} : { decodeRetainedLater: retainedDecoder(context.definition, context.keyFile, context.protocol) }),
      // the compression trials run beside the rest of finish() when this thread finishes the analyzer
      ...(context.finishesOnThisThread === true ? { compressionThread: true } : {}),
    });
  },
  beginFinish: (analyzer) => (analyzer as BandwidthAnalyzer).beginFinish(),
  dispose: (analyzer) => (analyzer as BandwidthAnalyzer).dispose(),
  toSection: (report, context) => bandwidthSection(report as BandwidthReport, context),
};
