import { mergePartialFiles } from "../merge-partials.js";
import { writePartialFile } from "../write-partial-file.js";
import type { FleetMerge } from "./fleet-report.js";
import type { FleetPassRequest, PartialWritten } from "./fleet-worker.js";

// Imported statically: the worker command loads this module (and with it the analyses) before it
// says it is ready, so a worker's first job does not pay for module loading.

/**
 * The fleet's partial writer: the CLI's `analyze --partial` pass
 * (`writePartialFile`) on one job's captures, one thread (a fleet scales with
 * worker processes). Returns the content hashes the pass read.
 */
export async function writeFleetPartial(request: FleetPassRequest, partialPath: string): Promise<PartialWritten> {
  const summary = await writePartialFile({ ...request, inputs: request.inputs.map((input) => ({ path: input.path })), threads: 1 }, partialPath);
  return { captureSha256: summary.captures.map((capture) => capture.sha256) };
}

/** The fleet's merge: the CLI's `tickscope merge` of partial report files (captures counted once by content hash). */
export async function mergeFleetPartials(partialPaths: readonly string[]): Promise<FleetMerge> {
  const merged = await mergePartialFiles(partialPaths);
  return { result: merged.result, order: merged.order, skipped: merged.skipped };
}
