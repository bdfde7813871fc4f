import { ErrorCode, SEVERITIES, TickscopeError, type Severity } from "@tickscope/core";
import { ANALYSIS_NAMES, type AnalysisName } from "./analysis-section.js";

function invalid(message: string, hint: string): TickscopeError {
  return new TickscopeError(ErrorCode.invalidOption, message, { hint });
}

/** Parses a TCP/UDP port (1–65535) given on the command line; repeatable options accumulate. */
export function parsePortOption(text: string, previous: number[] = []): number[] {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw invalid(`'${text}' is not a port number`, "give a whole number between 1 and 65535, e.g. --server-port 7777");
  }
  return [...previous, port];
}

/** Parses a positive integer option such as `--players 100`. */
export function parsePositiveIntegerOption(name: string, text: string, maximum = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > maximum) {
    throw invalid(`--${name} '${text}' is not a whole number between 1 and ${maximum}`, `e.g. --${name} 10`);
  }
  return value;
}

const DURATION_UNITS_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Parses a duration such as `90s`, `30m`, `1.5h` or `500ms` into seconds (a bare number is seconds). */
export function parseDurationSeconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) throw invalid(`'${text}' is not a duration`, "use e.g. 30s, 5m, 1.5h or 500ms");
  const seconds = Number(match[1]) * DURATION_UNITS_SECONDS[match[2] ?? "s"]!;
  if (seconds <= 0) throw invalid(`duration '${text}' must be positive`, "use e.g. 30s");
  return seconds;
}

/** Parses `--only latency,loss` into analysis names (unique, in report order). */
export function parseAnalysisList(text: string): AnalysisName[] {
  const names = text.split(",").map((name) => name.trim()).filter((name) => name.length > 0);
  for (const name of names) {
    if (!(ANALYSIS_NAMES as readonly string[]).includes(name)) {
      throw invalid(`unknown analysis '${name}'`, `choose from ${ANALYSIS_NAMES.join(", ")}`);
    }
  }
  if (names.length === 0) throw invalid("--only needs at least one analysis", `choose from ${ANALYSIS_NAMES.join(", ")}`);
  return ANALYSIS_NAMES.filter((name) => names.includes(name));
}

/** Parses a severity (`--fail-on high`). */
export function parseSeverity(text: string): Severity {
  if (!(SEVERITIES as readonly string[]).includes(text)) throw invalid(`unknown severity '${text}'`, `choose from ${SEVERITIES.join(", ")}`);
  return text as Severity;
}

/** Parses `--format json,md` (or repeated `--format`) against the known formats. */
export function parseFormatList(text: string, known: readonly string[], previous: string[] = []): string[] {
  const names = text.split(",").map((name) => name.trim()).filter((name) => name.length > 0);
  for (const name of names) {
    if (!known.includes(name)) throw invalid(`unknown format '${name}'`, `choose from ${known.join(", ")}`);
  }
  return [...new Set([...previous, ...names])];
}

/** Parses a `name=value` pair such as `--region eu-west=eu.pcapng`. */
export function parseNamedValue(option: string, text: string): { name: string; value: string } {
  const index = text.indexOf("=");
  if (index <= 0 || index === text.length - 1) throw invalid(`--${option} '${text}' is not name=value`, `e.g. --${option} eu-west=eu.pcapng`);
  return { name: text.slice(0, index), value: text.slice(index + 1) };
}
