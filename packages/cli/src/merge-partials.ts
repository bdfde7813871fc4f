import { ErrorCode, mergeOtherTraffic, reportGeneratedAt, TickscopeError, type OtherTraffic, type ReportInput, type Severity } from "@tickscope/core";
import { adapterFor } from "./analyses/registry.js";
import type { AnalysisContext } from "./analyses/analysis-adapter.js";
import type { AnalyzeResult } from "./analyze-result.js";
import { canonicalJson, readPartialFile } from "./partial-file.js";
import type { PartialReport, PartialRunSettings } from "./partial-report-schema.js";
import { loadProtocolObject } from "./load-inputs.js";
import { mergeSavedStates } from "./run-analyze.js";
import { writeReports } from "./report-output.js";
import type { CliStreams } from "./run-cli.js";
import { mergeSessionLists } from "./session-list-merge.js";
import { TOOL_VERSION } from "./version.js";

/** A partial report and the name it is known by (its file path). */
export interface NamedPartial {
  /** File path, or another name for messages. */
  name: string;
  /** The validated partial report. */
  report: PartialReport;
}

/** A partial left out of a merge, and why. */
export interface SkippedPartial {
  /** Its name. */
  name: string;
  /** Why, one sentence (e.g. its captures were already counted from another partial). */
  reason: string;
}

/** Options of {@link mergePartialReports}. */
export interface MergePartialsOptions {
  /** Fixed `generatedAt` (default: now, or `SOURCE_DATE_EPOCH`). */
  generatedAt?: string;
  /** `--fail-on` of the merge, recorded in the report's options (default: the first partial's). */
  failOn?: Severity;
}

/** What {@link mergePartialReports} returns. */
export interface MergedPartials {
  /** The report: what one `analyze` over every capture, in {@link MergedPartials.order}, gives. */
  result: AnalyzeResult;
  /** The partials merged, in the order they were merged (by their first capture's time, then name). */
  order: string[];
  /** Partials whose captures were all already counted (same content hashes), left out. */
  skipped: SkippedPartial[];
}

/** Names the first field of the run settings in which two partials differ (undefined when none). */
function firstDifference(left: PartialRunSettings, right: PartialRunSettings): string | undefined {
  const fields: (keyof PartialRunSettings)[] = ["analyses", "protocolSha256", "serverPorts", "serverRegions", "clientLocations", "serverSites", "settings"];
  for (const field of fields) {
    if (canonicalJson(left[field]) === canonicalJson(right[field])) continue;
    if (field === "settings") {
      const keys = [...new Set([...Object.keys(left.settings), ...Object.keys(right.settings)])].sort();
      const key = keys.find((name) => canonicalJson(left.settings[name] ?? null) !== canonicalJson(right.settings[name] ?? null));
      return key === undefined ? "settings" : `settings of ${key}`;
    }
    return field === "protocolSha256" ? "protocol definition" : field;
  }
  return undefined;
}

const describeValue = (value: unknown): string => {
  const text = canonicalJson(value ?? null);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/** The first capture time of a partial (its passes are ordered by it); a partial without packets sorts first. */
function firstTimeUs(report: PartialReport): number {
  return report.captures[0]?.firstUs ?? 0;
}

/**
 * Merges partial reports (`tickscope merge`) into the report one `analyze`
 * over all their captures gives: the partials are ordered by their first
 * capture's time (tie: name) — the order one `analyze` must be given for the
 * same report — and each analysis's states are folded into a fresh analyzer
 * (created through its adapter with the merged context) with packet indices
 * continued from the captures before (`packetIndexOffset`). Captures, sessions
 * (a session in two partials once), decode anomalies and other traffic merge as
 * `analyze` merges them over several captures. A partial whose captures were all
 * counted already (same content hashes) is skipped and reported in `skipped`;
 * one that shares only some of its captures with another, or partials of
 * different analyses, definitions or settings, are `E_PARTIAL_MISMATCH`; a state
 * an analysis cannot merge is `E_BAD_PARTIAL`.
 */
export function mergePartialReports(partials: readonly NamedPartial[], options: MergePartialsOptions = {}): MergedPartials {
  if (partials.length === 0) throw new TickscopeError(ErrorCode.invalidOption, "no partial report to merge", { hint: "tickscope merge a.tspart b.tspart ..." });
  const sorted = [...partials].sort((left, right) => firstTimeUs(left.report) - firstTimeUs(right.report) || (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
  const reference = sorted[0]!;
  for (const partial of sorted.slice(1)) {
    const field = firstDifference(reference.report.run, partial.report.run);
    if (field === undefined) continue;
    const [left, right] =
      field.startsWith("settings of ")
        ? [reference.report.run.settings[field.slice(12)], partial.report.run.settings[field.slice(12)]]
        : field === "protocol definition"
          ? [reference.report.run.protocolSha256, partial.report.run.protocolSha256]
          : [reference.report.run[field as keyof PartialRunSettings], partial.report.run[field as keyof PartialRunSettings]];
    throw new TickscopeError(ErrorCode.partialMismatch, `${reference.name} and ${partial.name} differ in ${field}: ${describeValue(left)} vs ${describeValue(right)}`, {
      hint: "merge only partials written with the same analyses, protocol definition and settings",
    });
  }
  // every capture once: a partial whose captures were all counted is left out
  const countedBy = new Map<string, string>();
  const kept: NamedPartial[] = [];
  const skipped: SkippedPartial[] = [];
  for (const partial of sorted) {
    const hashes = partial.report.captureSha256;
    const counted = hashes.filter((hash) => countedBy.has(hash));
    if (hashes.length > 0 && counted.length === hashes.length) {
      skipped.push({ name: partial.name, reason: `its ${hashes.length} capture(s) were already counted from ${[...new Set(counted.map((hash) => countedBy.get(hash)!))].join(", ")} (same content)` });
      continue;
    }
    if (counted.length > 0) {
      throw new TickscopeError(ErrorCode.partialMismatch, `${partial.name} shares ${counted.length} of its ${hashes.length} captures with ${countedBy.get(counted[0]!)} (same content): they would be counted twice`, {
        hint: "write one partial per capture (or per disjoint group of captures)",
      });
    }
    for (const hash of hashes) countedBy.set(hash, partial.name);
    kept.push(partial);
  }
  const first = kept[0]!.report;
  const run = first.run;
  const definition = first.protocol === null ? undefined : validatedDefinition(first.protocol.definition, kept[0]!.name);
  // what analyze builds while it reads, from every partial in order
  const captures = kept.flatMap((partial) => partial.report.captures);
  const sessions = mergeSessionLists(kept.flatMap((partial) => partial.report.sessions));
  const decodeAnomalies: Record<string, number> = {};
  let decodedMessages = 0;
  let otherTraffic: OtherTraffic | undefined;
  const regionOfSession = new Map<string, string>();
  const passes: { states: PartialReport["analyses"]; packetIndexOffset: number; name: string }[] = [];
  let packetIndexOffset = 0;
  for (const { name, report } of kept) {
    for (const [code, count] of Object.entries(report.decodeAnomalies)) decodeAnomalies[code] = (decodeAnomalies[code] ?? 0) + count;
    decodedMessages += report.decodedMessages;
    for (const traffic of report.otherTrafficByCapture) {
      if (traffic !== null) otherTraffic = otherTraffic === undefined ? traffic : mergeOtherTraffic(otherTraffic, traffic);
    }
    for (const [session, region] of Object.entries(report.regionOfSession)) regionOfSession.set(session, region);
    passes.push({ states: report.analyses, packetIndexOffset, name });
    for (const capture of report.captures) packetIndexOffset += capture.packets;
    // the file whose counts push later packet indices past 2^53 is named, not the later one that would receive them
    if (!Number.isSafeInteger(packetIndexOffset)) {
      throw new TickscopeError(ErrorCode.badPartial, `${name}: its captures' packet counts bring the packets merged so far to ${packetIndexOffset}, beyond 2^53 - 1`, {
        hint: "the file was changed or written by another program",
      });
    }
  }
  const sortedAnomalies = Object.fromEntries(Object.entries(decodeAnomalies).sort(([left], [right]) => left.localeCompare(right)));
  const context: AnalysisContext = {
    definition,
    regionOfSession,
    sessions,
    clientLocations: new Map(Object.entries(run.clientLocations)),
    serverSites: { ...run.serverSites },
    settings: run.settings,
    ...(first.keyFile === undefined ? {} : { keyFile: first.keyFile }),
    decodeAnomalies: sortedAnomalies,
    decodedMessages,
  };
  const adapters = run.analyses.map(adapterFor);
  const analyzers = mergeSavedStates(adapters, context, passes);
  const sections = adapters.map((adapter, index) => adapter.toSection(analyzers[index]!.finish(), context));
  // inputs as analyze records them: the definition first, then every capture
  const inputs: ReportInput[] = [
    ...first.inputs.filter((input) => !input.kind.startsWith("capture")),
    ...kept.flatMap((partial) => partial.report.inputs.filter((input) => input.kind.startsWith("capture"))),
  ];
  const recordedOptions: Record<string, unknown> = { ...first.recordedOptions };
  if (typeof recordedOptions.serverLogEvents === "number") {
    recordedOptions.serverLogEvents = kept.reduce((sum, partial) => sum + (typeof partial.report.recordedOptions.serverLogEvents === "number" ? partial.report.recordedOptions.serverLogEvents : 0), 0);
  }
  if (options.failOn !== undefined) recordedOptions.failOn = options.failOn;
  return {
    result: {
      toolVersion: TOOL_VERSION,
      generatedAt: options.generatedAt ?? reportGeneratedAt(process.env),
      inputs,
      options: recordedOptions,
      captures,
      sessions,
      decodeAnomalies: sortedAnomalies,
      ...(otherTraffic === undefined ? {} : { otherTraffic }),
      sections,
    },
    order: kept.map((partial) => partial.name),
    skipped,
  };
}

/** The partial's definition, validated as a definition file is (`E_BAD_PARTIAL` when it is not one). */
function validatedDefinition(definition: unknown, name: string): AnalysisContext["definition"] {
  try {
    return loadProtocolObject(definition).definition;
  } catch (error) {
    throw new TickscopeError(ErrorCode.badPartial, `${name}: its protocol definition is not valid (${(error as Error).message})`, { hint: "the file was changed or written by another program", cause: error });
  }
}

/** Options of {@link mergePartialFiles}. */
export interface MergePartialFilesOptions extends MergePartialsOptions {
  /** Report formats to write (as `analyze --format`); none: nothing is written. */
  formats?: readonly string[];
  /** Directory of the reports (as `analyze --out`); without it a single-file format goes to `streams.stdout`. */
  out?: string;
  /** Where stdout output goes (default: the process's). */
  streams?: CliStreams;
}

/** What {@link mergePartialFiles} returns: the merge, and the report files written (`-` for stdout). */
export interface MergedPartialFiles extends MergedPartials {
  /** Paths written (`-` for stdout); empty without formats. */
  written: string[];
}

/**
 * Reads, validates and merges partial report files (see
 * {@link mergePartialReports}; errors name the file), then writes the reports
 * `analyze` writes in `formats` (through the same `writeReports`).
 */
export async function mergePartialFiles(paths: readonly string[], options: MergePartialFilesOptions = {}): Promise<MergedPartialFiles> {
  const partials: NamedPartial[] = [];
  for (const path of paths) partials.push({ name: path, report: await readPartialFile(path) });
  const merged = mergePartialReports(partials, options);
  const formats = options.formats ?? [];
  const written = formats.length === 0 ? [] : await writeReports(merged.result, formats, options.out, options.streams ?? { stdout: process.stdout, stderr: process.stderr });
  return { ...merged, written };
}
