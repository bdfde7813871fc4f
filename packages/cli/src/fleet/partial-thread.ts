import { parentPort, workerData } from "node:worker_threads";
import { writePartialFile } from "../write-partial-file.js";
import { serializeError, type SerializedError } from "../worker-error.js";
import type { FleetPassRequest } from "./fleet-worker.js";

/** Marks the data of a fleet partial thread (a module loaded in some other worker does nothing). */
export const PARTIAL_THREAD_KIND = "tickscope-fleet-partial";

/** One job a fleet worker hands its partial thread: the pass and where to write its partial. */
export interface PartialThreadRequest {
  /** Request number (the answer carries it). */
  id: number;
  /** The job's pass. */
  request: FleetPassRequest;
  /** The (temporary) partial path. */
  partialPath: string;
}

/** What a partial thread answers a request: the captures' content hashes, or its error (stable code kept). */
export type PartialThreadMessage = { id: number; kind: "done"; captureSha256: string[] } | { id: number; kind: "error"; error: SerializedError };

/**
 * The `analyze --partial` pass of one fleet job, as its thread runs it (one
 * thread per job: a fleet scales with worker processes). Every failure becomes one
 * `error` message, never an uncaught exception.
 */
export async function servePartialPass(data: PartialThreadRequest, post: (message: PartialThreadMessage) => void): Promise<void> {
  try {
    const summary = await writePartialFile({ ...data.request, inputs: data.request.inputs.map((input) => ({ path: input.path })), threads: 1 }, data.partialPath);
    post({ id: data.id, kind: "done", captureSha256: summary.captures.map((capture) => capture.sha256) });
  } catch (error) {
    post({ id: data.id, kind: "error", error: serializeError(error) });
  }
}

// a partial thread lives as long as its worker process and serves one job at a time (modules load once)
const port = parentPort;
if (port !== null && (workerData as { kind?: string } | undefined)?.kind === PARTIAL_THREAD_KIND) {
  port.on("message", (data: PartialThreadRequest) => void servePartialPass(data, (message) => port.postMessage(message)));
}
