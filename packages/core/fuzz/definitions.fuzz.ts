import {
  emptyStatistics,
  runHostileDefinitionCase,
  runParityCase,
  type DefinitionFuzzStatistics,
} from "../src/protocol/test-support/definition-fuzz-targets.js";
import type { FuzzEscape, FuzzRunResult } from "../../../scripts/fuzz-contract.js";

/**
 * Long-run fuzzing of the protocol definition compiler (issue 19), run by the
 * root `pnpm fuzz` (scripts/fuzz.ts discovers `packages/*\/fuzz/*.fuzz.ts`).
 * Two targets, `options.cases` cases each, case `i` seeded `options.seed + i`
 * (so an escape's seed reproduces it alone):
 * - `core.definitions.hostile`: hostile definitions; validation and decoding
 *   agree on what is safe (only `E_DEFINITION_INVALID` from compile, only typed
 *   anomalies from decode, bounded time per datagram, compiled = interpreted);
 * - `core.definitions.parity`: random valid definitions; compiled and
 *   interpreted decoders and encoders agree on random, encoded and mutated
 *   datagrams, and decode → encode → decode keeps the values.
 * Runs from source under tsx (relative imports, no build needed).
 */


/** Most escapes kept per target (a systematic defect would otherwise repeat thousands of times). */
const MAX_ESCAPES_PER_TARGET = 100;

function runTarget(target: string, options: { cases: number; seed: number }, runCase: (seed: number, statistics: DefinitionFuzzStatistics) => string[]): FuzzRunResult {
  const statistics = emptyStatistics();
  const escapes: FuzzEscape[] = [];
  const started = performance.now();
  for (let index = 0; index < options.cases; index++) {
    const seed = (options.seed + index) >>> 0;
    let found: string[];
    try {
      found = runCase(seed, statistics);
    } catch (error) {
      found = [`the fuzz case itself threw: ${error instanceof Error ? error.message : String(error)}`];
    }
    for (const message of found) if (escapes.length < MAX_ESCAPES_PER_TARGET) escapes.push({ target, seed, message });
  }
  const seconds = (performance.now() - started) / 1000;
  if (options.cases > 0 && process.env.TICKSCOPE_FUZZ_QUIET === undefined) {
    process.stderr.write(
      `${target}: ${options.cases} cases in ${seconds.toFixed(1)} s (${Math.round(options.cases / Math.max(seconds, 1e-9))}/s); ` +
        `definitions accepted ${statistics.accepted}, rejected ${statistics.rejected}; datagrams ${statistics.datagrams}, ` +
        `clean decodes ${statistics.cleanDecodes}, round trips ${statistics.roundTrips}; slowest decode ${statistics.slowestDecodeMs.toFixed(1)} ms, ` +
        `slowest compile ${statistics.slowestCompileMs.toFixed(1)} ms, peak RSS ${Math.round(statistics.peakRssBytes / 1048576)} MB\n`,
    );
  }
  return { target, cases: options.cases, escapes };
}

const TARGETS: [string, (seed: number, statistics: DefinitionFuzzStatistics) => string[]][] = [
  ["core.definitions.hostile", (seed, statistics) => runHostileDefinitionCase(seed, statistics)],
  ["core.definitions.parity", (seed, statistics) => runParityCase(seed, statistics).escapes],
];

/**
 * Runs both definition targets (or only the one named by TICKSCOPE_FUZZ_TARGET)
 * for `options.cases` cases each, seeds from `options.seed`.
 */
export async function runFuzz(options: { cases: number; seed: number }): Promise<FuzzRunResult[]> {
  const only = process.env.TICKSCOPE_FUZZ_TARGET;
  return TARGETS.filter(([target]) => only === undefined || only === "" || only === target).map(([target, runCase]) => runTarget(target, options, runCase));
}
