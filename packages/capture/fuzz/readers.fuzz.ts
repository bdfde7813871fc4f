/**
 * `pnpm fuzz` target: every reader of @tickscope/capture (pcap builtin and
 * pcap-parser engines, PCAPNG, gzip, server logs NDJSON and CSV) and core's
 * key-file parser, against the fuzzing contract of
 * `../src/test-support/fuzz-harness.ts`. Case `i` of a target uses seed
 * `seed + i`; an escape's seed rebuilds its input (`--cases 1 --seed <seed>`).
 * Set TICKSCOPE_FUZZ_TARGET to run one target only.
 */
import { runTargetCases } from "../src/test-support/fuzz-harness.js";
import { readerFuzzTargets } from "../src/test-support/reader-fuzz-targets.js";
import type { FuzzEscape, FuzzRunResult } from "../../../scripts/fuzz-contract.js";


/** Runs `cases` cases of every reader target (or of TICKSCOPE_FUZZ_TARGET only). */
export async function runFuzz(options: { cases: number; seed: number }): Promise<FuzzRunResult[]> {
  const only = process.env.TICKSCOPE_FUZZ_TARGET;
  const results: FuzzRunResult[] = [];
  for (const target of readerFuzzTargets()) {
    if (only !== undefined && only !== "" && only !== target.name) continue;
    const escapes = await runTargetCases(target, options.cases, options.seed);
    results.push({ target: target.name, cases: options.cases, escapes });
  }
  return results;
}
