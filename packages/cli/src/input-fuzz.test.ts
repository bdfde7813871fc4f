import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import { parseConfig } from "./config-file.js";
import { parseLogMap } from "./log-map-file.js";

/**
 * Fuzzing contract of the CLI's JSON inputs, short budget (`pnpm fuzz --target
 * inputs` runs packages/cli/fuzz/inputs.fuzz.ts for long): any text ends in a
 * validated value or one E_INVALID_OPTION, each within a time bound.
 */
const TIME_LIMIT_MS = 2000;

function holds(parse: (text: string) => unknown, text: string): string | undefined {
  const started = performance.now();
  try {
    parse(text);
  } catch (error) {
    if (!TickscopeError.isInstance(error)) return `untyped ${(error as Error).name}: ${(error as Error).message}`;
    if (error.code !== ErrorCode.invalidOption) return `unexpected code ${error.code}`;
  }
  const elapsed = performance.now() - started;
  return elapsed > TIME_LIMIT_MS ? `took ${elapsed.toFixed(0)} ms` : undefined;
}

const hostile = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom<unknown>(null, "", -1, 1e308, "constructor", "__proto__", "x".repeat(10_000), [], {}, "5", true),
);

const inputs: [string, (text: string) => unknown, Record<string, unknown>][] = [
  [
    "config",
    (text) => parseConfig(text, "fuzz.json"),
    { protocol: "p.json", serverPorts: [7777], only: ["latency"], failOn: "high", formats: ["json"], regions: { eu: "eu.pcapng" }, analyses: { latency: {} } },
  ],
  ["log map", (text) => parseLogMap(text, "map.json"), { format: "csv", timeField: "time", timeUnit: "ms", typeField: "event", valueFields: ["rtt"], labelFields: ["map"], delimiter: ";" }],
];

describe("CLI JSON inputs fuzzing contract (issue 19)", () => {
  for (const [name, parse, seed] of inputs) {
    it(`${name}: every prefix of a valid file`, () => {
      const text = JSON.stringify(seed, null, 1);
      const escapes: string[] = [];
      for (let offset = 0; offset <= text.length; offset++) {
        const escape = holds(parse, text.slice(0, offset));
        if (escape !== undefined) escapes.push(`cut at ${offset}: ${escape}`);
      }
      expect(escapes).toEqual([]);
    });

    it(`${name}: a hostile value at any key, random documents, a deeply nested document`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...Object.keys(seed), "__proto__", "constructor", "unknown"), hostile, (key, value) => {
          const text = key === "__proto__" ? `{"__proto__": ${JSON.stringify(value)}}` : JSON.stringify({ ...seed, [key]: value });
          expect(holds(parse, text)).toBeUndefined();
        }),
        { numRuns: 500, seed: 19 },
      );
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          expect(holds(parse, JSON.stringify(value) ?? "null")).toBeUndefined();
        }),
        { numRuns: 300, seed: 19 },
      );
      const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
      expect(holds(parse, deep)).toBeUndefined();
      expect(holds(parse, JSON.stringify({ ...seed, analyses: "@" }).replace('"@"', deep))).toBeUndefined();
    });
  }
});
