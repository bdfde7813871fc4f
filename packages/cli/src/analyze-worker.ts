import { parentPort, workerData } from "node:worker_threads";
import { ANALYZE_WORKER_KIND, type AnalyzeWorkerData, type AnalyzeWorkerMessage } from "./analyze-worker-launch.js";
import { runAnalysisPassOutput } from "./run-analyze.js";
import { serializeError } from "./worker-error.js";

/**
 * Runs one worker's pass and posts its outcome through `post`: every failure,
 * a tickscope error or not, becomes one `error` message (never an uncaught
 * exception), so the main thread rebuilds it with its stable code.
 */
export async function serveAnalysisPass(data: AnalyzeWorkerData, post: (message: AnalyzeWorkerMessage) => void): Promise<void> {
  try {
    const output = await runAnalysisPassOutput(data.request, data.reportProgress ? (bytesRead) => post({ kind: "progress", bytesRead }) : undefined);
    post({ kind: "done", ...output });
  } catch (error) {
    post({ kind: "error", error: serializeError(error) });
  }
}

const port = parentPort;
if (port !== null && (workerData as Partial<AnalyzeWorkerData> | undefined)?.kind === ANALYZE_WORKER_KIND) {
  void serveAnalysisPass(workerData as AnalyzeWorkerData, (message) => port.postMessage(message));
}
