import type { FleetPassRequest, PartialWritten } from "./fleet-worker.js";
import type { FleetMerge } from "./fleet-report.js";

/**
 * The fleet's partial writer: the CLI's `analyze --partial` pass
 * (`writePartialFile`) on one job's captures, one thread (a fleet scales with
 * worker processes). Returns the content hashes the pass read.
 */
export async function writeFleetPartial(request: FleetPassRequest, partialPath: string): Promise<PartialWritten> {
  const { writePartialFile } = await import("../write-partial-file.js");
  const summary = await writePartialFile({ ...request, inputs: request.inputs.map((input) => ({ path: input.path })), threads: 1 }, partialPath);
  return { captureSha256: summary.captures.map((capture) => capture.sha256) };
}

/** The fleet's merge: the CLI's `tickscope merge` of partial report files (captures counted once by content hash). */
export async function mergeFleetPartials(partialPaths: readonly string[]): Promise<FleetMerge> {
  const { mergePartialFiles } = await import("../merge-partials.js");
  const merged = await mergePartialFiles(partialPaths);
  return { result: merged.result, order: merged.order, skipped: merged.skipped };
}
