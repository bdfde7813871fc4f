import { ErrorCode, TickscopeError } from "@tickscope/core";

/**
 * Parses tolerances written as `name=value` pairs separated by commas
 * (`position=0.01,velocity=0.1`), as the CLI's `--tolerance` takes them.
 * Names are leaf paths or path segments. Throws `E_INVALID_OPTION` on bad input.
 */
export function parseTolerances(text: string | readonly string[]): Map<string, number> {
  const result = new Map<string, number>();
  const parts = (typeof text === "string" ? [text] : text).flatMap((entry) => entry.split(","));
  for (const raw of parts) {
    const part = raw.trim();
    if (part === "") continue;
    const match = /^([A-Za-z_][\w.[\]]*)=([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)$/i.exec(part);
    if (match === null || !(Number(match[2]) > 0)) {
      throw new TickscopeError(ErrorCode.invalidOption, `bad tolerance "${part}" (expected name=positiveNumber, e.g. position=0.01)`);
    }
    result.set(match[1]!, Number(match[2]));
  }
  return result;
}

const RATE_UNITS: Record<string, number> = {
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  b: 8,
  byte: 8,
  kb: 8e3,
  kbyte: 8e3,
  mb: 8e6,
  mbyte: 8e6,
};

/**
 * Parses a bandwidth (`64kbit`, `1.5mbit`, `8kB`, `2000` = bits) into bits per
 * second. Units are per second; `bit` units are bits, `B`/`byte` units bytes.
 */
export function parseBandwidth(text: string): number {
  const match = /^\s*([0-9]*\.?[0-9]+)\s*([a-z]*)(?:\/s|ps)?\s*$/i.exec(text);
  const unitText = match?.[2] ?? "";
  const unit = unitText === "" ? 1 : RATE_UNITS[unitText.toLowerCase()];
  if (match === null || unit === undefined || !(Number(match[1]) > 0)) {
    throw new TickscopeError(ErrorCode.invalidOption, `bad bandwidth "${text}" (expected e.g. 64kbit, 1.5mbit, 8kB)`);
  }
  return Number(match[1]) * unit;
}
