import { workerData } from "node:worker_threads";
import { COMPRESSION_WORKER_KIND, CompressionThreadStatus, measureCompressionJob, type CompressionAnswer, type CompressionJob, type CompressionWorkerData } from "./compression-thread.js";

/**
 * Serves one job of a {@link CompressionThread}: takes it unless the owner
 * cancelled it (status `idle` → `working`), posts the report (or the error)
 * and then marks the status `done` (or `failed`), so an owner that sees
 * `done` finds the answer on its port.
 */
export function serveCompressionJob(data: CompressionWorkerData, job: CompressionJob): void {
  const status = data.status;
  if (Atomics.compareExchange(status, 0, CompressionThreadStatus.idle, CompressionThreadStatus.working) !== CompressionThreadStatus.idle) {
    data.port.close();
    return;
  }
  let answer: CompressionAnswer;
  let outcome: number = CompressionThreadStatus.done;
  try {
    answer = { report: measureCompressionJob(job) };
  } catch (error) {
    answer = { error: error instanceof Error ? error.message : String(error) };
    outcome = CompressionThreadStatus.failed;
  }
  try {
    data.port.postMessage(answer);
  } catch {
    outcome = CompressionThreadStatus.failed;
  }
  Atomics.store(status, 0, outcome);
  Atomics.notify(status, 0);
  data.port.close();
}

const data = workerData as Partial<CompressionWorkerData> | undefined;
if (data?.kind === COMPRESSION_WORKER_KIND && data.port !== undefined && data.status !== undefined) {
  const started = data as CompressionWorkerData;
  started.port.once("message", (job: CompressionJob) => serveCompressionJob(started, job));
}
