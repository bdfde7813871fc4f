import { isIP } from "node:net";
import { ErrorCode, SEVERITIES, TickscopeError, type Severity } from "@tickscope/core";
import { ANALYSIS_NAMES, type AnalysisName } from "./analysis-section.js";
import type { AnalysisSplit } from "./analysis-split.js";
import { escapeTerminalText } from "./terminal-text.js";

function invalid(message: string, hint: string): TickscopeError {
  return new TickscopeError(ErrorCode.invalidOption, message, { hint });
}

/** Quotes a user-given option value for an error message (escaped, shortened). */
function quoted(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return `'${escapeTerminalText(shown)}'`;
}

/** Parses a TCP/UDP port (1–65535) given on the command line; repeatable options accumulate. */
export function parsePortOption(text: string, previous: number[] = []): number[] {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw invalid(`${quoted(text)} is not a port number`, "give a whole number between 1 and 65535, e.g. --server-port 7777");
  }
  return [...previous, port];
}

/** Parses a whole-number option between `minimum` and `maximum` (`--cheats 3`, `--tick 60`). */
export function parseIntegerOption(name: string, text: string, minimum: number, maximum: number, example = Math.max(minimum, Math.min(maximum, 10))): number {
  const value = Number(text);
  if (!/^-?\d{1,16}$/.test(text) || value < minimum || value > maximum) {
    throw invalid(`--${name} ${quoted(text)} is not a whole number between ${minimum} and ${maximum}`, `e.g. --${name} ${example}`);
  }
  return value;
}

/**
 * Parses `--thread-split`: `auto` (undefined: as planned), `none` (false), or
 * `<analysis>=<share>` — the analysis the two threads split by sessions and the
 * main thread's share of its sessions, strictly between 0 and 1 (e.g. `loss=0.3`).
 */
export function parseThreadSplit(text: string): AnalysisSplit | false | undefined {
  if (text === "auto") return undefined;
  if (text === "none") return false;
  const match = /^([a-z]+)=(0?\.\d{1,6})$/.exec(text);
  const analysis = match?.[1] as AnalysisName | undefined;
  const share = Number(match?.[2]);
  if (analysis === undefined || !ANALYSIS_NAMES.includes(analysis) || !(share > 0 && share < 1)) {
    throw invalid(`--thread-split ${quoted(text)} is not auto, none or <analysis>=<share between 0 and 1>`, "e.g. --thread-split loss=0.3");
  }
  return { analysis, mainShare: share };
}

/** Parses a positive integer option such as `--players 100`. */
export function parsePositiveIntegerOption(name: string, text: string, maximum = Number.MAX_SAFE_INTEGER): number {
  return parseIntegerOption(name, text, 1, maximum);
}

const DURATION_UNITS_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Longest duration accepted by default: 30 days. */
export const MAX_DURATION_SECONDS = 30 * 86_400;

/** Parses a duration such as `90s`, `30m`, `1.5h` or `500ms` into seconds (a bare number is seconds), at most `maximumSeconds`. */
export function parseDurationSeconds(text: string, maximumSeconds = MAX_DURATION_SECONDS): number {
  const match = /^(\d{1,12}(?:\.\d{1,12})?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) throw invalid(`${quoted(text)} is not a duration`, "use e.g. 30s, 5m, 1.5h or 500ms");
  const seconds = Number(match[1]) * DURATION_UNITS_SECONDS[match[2] ?? "s"]!;
  if (seconds <= 0) throw invalid(`duration ${quoted(text)} must be positive`, "use e.g. 30s");
  if (seconds > maximumSeconds) throw invalid(`duration ${quoted(text)} is longer than ${maximumSeconds} s`, "use e.g. 30s");
  return seconds;
}

/** Parses `--only latency,loss` into analysis names (unique, in report order). */
export function parseAnalysisList(text: string): AnalysisName[] {
  const names = text.split(",").map((name) => name.trim()).filter((name) => name.length > 0);
  for (const name of names) {
    if (!(ANALYSIS_NAMES as readonly string[]).includes(name)) {
      throw invalid(`unknown analysis ${quoted(name)}`, `choose from ${ANALYSIS_NAMES.join(", ")}`);
    }
  }
  if (names.length === 0) throw invalid("--only needs at least one analysis", `choose from ${ANALYSIS_NAMES.join(", ")}`);
  return ANALYSIS_NAMES.filter((name) => names.includes(name));
}

/** Parses a severity (`--fail-on high`). */
export function parseSeverity(text: string): Severity {
  if (!(SEVERITIES as readonly string[]).includes(text)) throw invalid(`unknown severity ${quoted(text)}`, `choose from ${SEVERITIES.join(", ")}`);
  return text as Severity;
}

/** Parses `--format json,md` (or repeated `--format`) against the known formats. */
export function parseFormatList(text: string, known: readonly string[], previous: string[] = []): string[] {
  const names = text.split(",").map((name) => name.trim()).filter((name) => name.length > 0);
  for (const name of names) {
    if (!known.includes(name)) throw invalid(`unknown format ${quoted(name)}`, `choose from ${known.join(", ")}`);
  }
  return [...new Set([...previous, ...names])];
}

/** Parses a `name=value` pair such as `--region eu-west=eu.pcapng` (a name of at most 256 characters). */
export function parseNamedValue(option: string, text: string): { name: string; value: string } {
  const index = text.indexOf("=");
  if (index <= 0 || index === text.length - 1 || index > 256) throw invalid(`--${option} ${quoted(text)} is not name=value`, `e.g. --${option} eu-west=eu.pcapng`);
  return { name: text.slice(0, index), value: text.slice(index + 1) };
}

/** Parses `--server-region name=address`: the address must be an IPv4 or IPv6 address (as sessions name their server). */
export function parseServerRegion(text: string): { name: string; value: string } {
  const pair = parseNamedValue("server-region", text);
  if (isIP(pair.value) === 0) {
    throw invalid(`--server-region ${quoted(text)}: ${quoted(pair.value)} is not an IP address`, "e.g. --server-region eu-west=203.0.113.10 (the server's address, no port)");
  }
  return pair;
}
