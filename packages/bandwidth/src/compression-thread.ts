import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import type { CompressionReport } from "./bandwidth-report.js";
import { runCompressionTrials } from "./compression.js";
import type { PayloadSample } from "./packet-observer.js";

/**
 * States of a {@link CompressionThread}'s status word (an `Int32Array` cell
 * shared with the worker): the worker moves `idle` to `working` when it takes
 * the job, then to `done` or `failed`; the owner moves `idle` to `cancelled`
 * when it needs the report before the worker took the job (it then measures
 * the trials itself, and the worker drops the job).
 */
export const CompressionThreadStatus = { idle: 0, working: 1, done: 2, failed: 3, cancelled: 4 } as const;

/** Longest wait for a worker that took the job, ms: past it the owner measures itself (the worker's sample is bounded: it takes about a second at most). */
export const COMPRESSION_THREAD_DEADLINE_MS = 60_000;

/** What the worker receives at start (`workerData`). */
export interface CompressionWorkerData {
  kind: typeof COMPRESSION_WORKER_KIND;
  /** The worker's end of the job channel. */
  port: MessagePort;
  /** One cell: a {@link CompressionThreadStatus}. */
  status: Int32Array;
}

/** The job posted to the worker: exactly the arguments of {@link runCompressionTrials}. */
export interface CompressionJob {
  samples: readonly PayloadSample[];
  populationPackets: number;
}

/** The worker's answer: the report, or why it could not measure (the owner then measures itself). */
export type CompressionAnswer = { report: CompressionReport } | { error: string };

/** Marks a worker started by {@link CompressionThread.start} (the worker module does nothing under another parent). */
export const COMPRESSION_WORKER_KIND = "tickscope-bandwidth-compression";

/**
 * The worker module next to this one (`compression-worker.js` in dist/, or in a
 * bundle that placed it beside itself); undefined when it is not there (e.g.
 * running from TypeScript sources): the trials then run on the calling thread.
 */
export function compressionWorkerFile(): URL | undefined {
  const file = new URL("./compression-worker.js", import.meta.url);
  try {
    return file.protocol === "file:" && existsSync(fileURLToPath(file)) ? file : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The compression trials of one bandwidth report measured on a helper thread
 * while the owner builds the rest of the report.
 *
 * The trials are zlib and brotli work on a payload sample (about a tenth of a
 * second on a 30 k-packet capture, whatever its length: the sample is
 * bounded) that no other part of the report depends on, so they can run beside
 * the re-encoding trials. The analyzer starts the thread with its first
 * datagram, so it has booted by the time feeding ends; {@link CompressionThread.submit} hands it
 * the final sample, {@link CompressionThread.take} waits for its report
 * synchronously (a shared status word and `receiveMessageOnPort`: `finish()`
 * stays synchronous).
 *
 * Never different, never stuck: the worker runs the same
 * {@link runCompressionTrials} on a structured clone of the same sample, so
 * its report equals the calling thread's; when the worker has not taken the
 * job by the time the report is needed, has failed, or could not be started,
 * the owner measures the trials itself.
 */
export class CompressionThread {
  private submitted = false;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly statusWord: Int32Array,
  ) {}

  /**
   * Starts the helper thread (unreferenced: an idle one never keeps the
   * process alive); undefined when the worker module is missing or the thread
   * cannot start.
   */
  static start(file: URL | undefined = compressionWorkerFile()): CompressionThread | undefined {
    if (file === undefined) return undefined;
    const status = new Int32Array(new SharedArrayBuffer(4));
    const channel = new MessageChannel();
    let worker: Worker;
    try {
      const workerData: CompressionWorkerData = { kind: COMPRESSION_WORKER_KIND, port: channel.port2, status };
      worker = new Worker(file, { workerData, transferList: [channel.port2] });
    } catch {
      channel.port1.close();
      return undefined;
    }
    // A worker that fails to load reports it here; the owner sees a job never taken and measures itself.
    worker.on("error", () => {});
    worker.unref();
    return new CompressionThread(worker, channel.port1, status);
  }

  /** Hands the worker the final sample (once; later calls are ignored). */
  submit(job: CompressionJob): void {
    if (this.submitted || this.closed) return;
    this.submitted = true;
    try {
      this.port.postMessage(job);
    } catch {
      // Not cloneable (never for PayloadSample): the job is never taken, take() measures on this thread.
    }
  }

  /** The status word now (a {@link CompressionThreadStatus}): for diagnostics and tests. */
  get status(): number {
    return Atomics.load(this.statusWord, 0);
  }

  /**
   * The report of the submitted job: the worker's when it took the job
   * (waiting for it to finish, at most `deadlineMs`), else `measure()` on this
   * thread. Stops the thread either way.
   */
  take(measure: () => CompressionReport, deadlineMs = COMPRESSION_THREAD_DEADLINE_MS): CompressionReport {
    if (this.closed) return measure();
    try {
      const status = this.statusWord;
      if (!this.submitted || Atomics.compareExchange(status, 0, CompressionThreadStatus.idle, CompressionThreadStatus.cancelled) === CompressionThreadStatus.idle) {
        return measure();
      }
      // The sample is bounded (about a second of zlib at most); a worker that died mid-job is not waited for past the deadline.
      const deadline = Date.now() + deadlineMs;
      for (let left = deadlineMs; Atomics.load(status, 0) === CompressionThreadStatus.working && left > 0; left = deadline - Date.now()) {
        Atomics.wait(status, 0, CompressionThreadStatus.working, Math.min(left, 1000));
      }
      if (Atomics.load(status, 0) !== CompressionThreadStatus.done) return measure();
      const answer = receiveMessageOnPort(this.port)?.message as CompressionAnswer | undefined;
      return answer !== undefined && "report" in answer ? answer.report : measure();
    } finally {
      this.close();
    }
  }

  /** Stops the thread without a report (e.g. the state was saved instead). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // A job not yet taken is dropped by the worker.
    Atomics.compareExchange(this.statusWord, 0, CompressionThreadStatus.idle, CompressionThreadStatus.cancelled);
    this.port.close();
    void this.worker.terminate().catch(() => {});
  }
}

/** Measures one job (what the worker runs, and the owner when the worker cannot): {@link runCompressionTrials}. */
export function measureCompressionJob(job: CompressionJob): CompressionReport {
  return runCompressionTrials(job.samples, job.populationPackets);
}
