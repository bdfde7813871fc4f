/**
 * `pnpm fuzz` target: the user-written JSON inputs of the CLI — the config file
 * (`parseConfig`) and the `--log-map` file (`parseLogMap`) — against the
 * readers' fuzzing contract (`packages/capture/src/test-support/fuzz-harness.ts`):
 * any text ends in a validated value or one TickscopeError with a stable code,
 * quickly. Inputs are byte mutations of valid files, plus (every other case) a
 * structural mutation: one value somewhere in the document replaced by a
 * hostile one (wrong types, huge numbers, `__proto__`, deep nesting...).
 * The `inspect` target reads mutated captures and renders the `tickscope
 * inspect` tables and JSON (a corrupt timestamp once made the tables throw).
 * Set TICKSCOPE_FUZZ_TARGET to run one target only.
 */
import { inspectCaptures } from "@tickscope/capture";
import { runTargetCases, seededRandom, type FuzzTarget } from "../../capture/src/test-support/fuzz-harness.js";
import { gzipSeeds, pcapFields, pcapngFields, pcapngSeeds, pcapSeeds } from "../../capture/src/test-support/reader-fuzz-targets.js";
import { renderInspectText } from "../src/commands/inspect.js";
import { parseConfig } from "../src/config-file.js";
import { parseLogMap } from "../src/log-map-file.js";
import type { FuzzEscape, FuzzRunResult } from "../../../scripts/fuzz-contract.js";


const encode = (value: unknown) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value, null, 1));

let deepNesting = "";
/** A JSON array nested 20,000 deep (built once). */
function deeplyNested(): string {
  if (deepNesting === "") deepNesting = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
  return deepNesting;
}

/** Stands for {@link deeplyNested} inside a document; swapped in after JSON.stringify (which could not print it). */
const DEEP_PLACEHOLDER = "\u0000deep\u0000";

const HOSTILE_VALUES: (() => unknown)[] = [
  () => null,
  () => "",
  () => -1,
  () => 0,
  () => 1e308,
  () => -1e308,
  () => 1.5,
  () => true,
  () => [],
  () => ({}),
  () => "constructor",
  () => "__proto__",
  () => "x".repeat(100_000),
  () => "\u001b]0;pwned\u0007\n",
  () => [null, 1, "a"],
  () => ({ constructor: { prototype: { polluted: true } } }),
  () => Array.from({ length: 5000 }, (_, index) => index),
  () => "5",
  () => "bogus",
  () => DEEP_PLACEHOLDER,
];

/** Replaces one value (or adds one key) somewhere in a parsed document; returns JSON text, or undefined when the text is not JSON. */
function structuralMutation(text: string, variant: number): string | undefined {
  const mutated = replaceOneValue(text, variant);
  return mutated?.replace(JSON.stringify(DEEP_PLACEHOLDER), deeplyNested);
}

function replaceOneValue(text: string, variant: number): string | undefined {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return undefined;
  }
  const random = seededRandom(variant * 7919 + 1);
  if (random() < 0.05) return deeplyNested();
  const hostile = HOSTILE_VALUES[Math.floor(random() * HOSTILE_VALUES.length)]();
  if (typeof document !== "object" || document === null) return JSON.stringify(hostile);
  // walk down a random path of objects/arrays
  let node = document as Record<string, unknown>;
  for (let depth = 0; depth < 4; depth++) {
    const keys = Object.keys(node);
    if (keys.length === 0 || random() < 0.3) break;
    const key = keys[Math.floor(random() * keys.length)];
    const child = node[key];
    if (typeof child !== "object" || child === null || random() < 0.4) {
      node[key] = hostile;
      return JSON.stringify(document);
    }
    node = child as Record<string, unknown>;
  }
  const key = random() < 0.2 ? "__proto__" : random() < 0.5 ? "constructor" : `k${Math.floor(random() * 100)}`;
  // a "__proto__" key set through JSON text (as a user would write it), not through the object
  const body = JSON.stringify(document);
  if (Array.isArray(node) || body.length < 2) return body;
  if (node === document) return `{${JSON.stringify(key)}:${JSON.stringify(hostile) ?? "null"}${body.length > 2 ? `,${body.slice(1)}` : "}"}`;
  node[key] = hostile;
  return JSON.stringify(document);
}

function jsonTarget(name: string, seeds: unknown[], parse: (text: string) => unknown): FuzzTarget {
  return {
    name,
    seeds: seeds.map(encode),
    tokens: ["{", "}", "[", "]", '"', ",", ":", "null", "1e999", "-", "\\u0000", '"__proto__":{}', "\n"].map((token) => new TextEncoder().encode(token)),
    run: (input, variant) => {
      const text = new TextDecoder().decode(input);
      parse(variant % 2 === 0 ? (structuralMutation(text, variant) ?? text) : text);
    },
  };
}

/** The CLI's input targets: config, log map, and captures through `inspect`'s output. */
export function inputFuzzTargets(): FuzzTarget[] {
  return [
    {
      name: "inspect",
      seeds: [...pcapSeeds(), ...pcapngSeeds(), ...gzipSeeds()],
      fields: [...pcapSeeds().map(pcapFields), ...pcapngSeeds().map(pcapngFields), ...gzipSeeds().map(() => [])],
      tokens: [Uint8Array.of(0xff, 0xff, 0xff, 0xff), Uint8Array.of(0x80, 0, 0, 0), Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a)],
      run: async (input, variant) => {
        const result = await inspectCaptures([input], { serverPorts: variant % 2 === 0 ? [7777] : undefined });
        renderInspectText(result);
        JSON.stringify(result);
      },
    },
    jsonTarget(
      "config",
      [
        {
          protocol: "arena.json",
          keys: "keys.txt",
          serverPorts: [7777, 7778],
          only: ["latency", "loss"],
          failOn: "high",
          formats: ["json", "md"],
          out: "reports",
          regions: { "eu-west": "eu.pcapng" },
          analyses: { latency: { spikeFactor: 3 }, anticheat: { speedhackMinViolations: 3 } },
        },
        {},
        { formats: ["html"], analyses: { regions: {} } },
      ],
      (text) => parseConfig(text, "fuzz.config.json"),
    ),
    jsonTarget(
      "log-map",
      [
        {
          format: "csv",
          timeField: "time",
          timeUnit: "ms",
          clockOffsetUs: -500,
          typeField: "event",
          sessionField: "session",
          playerField: "player",
          regionField: "region",
          valueFields: ["rtt", "pauseMs"],
          labelFields: ["map"],
          delimiter: ";",
        },
        { timeField: "tUs", timeUnit: "us" },
        { format: "ndjson", timeField: "t", timeUnit: "iso", defaultType: "tick" },
      ],
      (text) => parseLogMap(text, "fuzz-log-map.json"),
    ),
  ];
}

/** Runs `cases` cases of each CLI input target (or of TICKSCOPE_FUZZ_TARGET only). */
export async function runFuzz(options: { cases: number; seed: number }): Promise<FuzzRunResult[]> {
  const only = process.env.TICKSCOPE_FUZZ_TARGET;
  const results: FuzzRunResult[] = [];
  for (const target of inputFuzzTargets()) {
    if (only !== undefined && only !== "" && only !== target.name) continue;
    results.push({ target: target.name, cases: options.cases, escapes: await runTargetCases(target, options.cases, options.seed) });
  }
  return results;
}
