import { parentPort, workerData } from "node:worker_threads";
import { TickscopeError } from "@tickscope/core";
import { writeMatchCapture, type MatchOptions, type MatchOutputPaths } from "@tickscope/sim";

/** What the main thread hands the simulation worker. */
export interface SimulationWorkerData {
  /** Match options (plain JSON). */
  match: MatchOptions;
  /** Output paths; the worker writes temporary files and leaves the commit to the main thread. */
  paths: MatchOutputPaths;
}

/** What the worker posts back. */
export type SimulationWorkerMessage =
  | { kind: "progress"; simulatedMs: number }
  | { kind: "done"; result: unknown }
  | { kind: "error"; code?: string; message: string; hint?: string };

const port = parentPort;
if (port !== null) {
  const { match, paths } = workerData as SimulationWorkerData;
  try {
    const result = writeMatchCapture(match, {
      ...paths,
      deferCommit: true,
      onProgress: (simulatedMs) => port.postMessage({ kind: "progress", simulatedMs } satisfies SimulationWorkerMessage),
    });
    port.postMessage({ kind: "done", result: { summary: result.summary, header: result.header } } satisfies SimulationWorkerMessage);
  } catch (error) {
    const message: SimulationWorkerMessage = TickscopeError.isInstance(error)
      ? { kind: "error", code: error.code, message: error.message, hint: error.hint }
      : { kind: "error", message: (error as Error)?.message ?? String(error) };
    port.postMessage(message);
  }
}
