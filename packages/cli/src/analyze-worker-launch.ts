import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { AnalysisSection } from "./analysis-section.js";
import type { SavedAnalysisState } from "./partial-report-schema.js";
import type { AnalysisPassRequest } from "./run-analyze.js";
import { deserializeError, type SerializedError } from "./worker-error.js";

/** Marks the data of an analyze worker (a module loaded in some other worker does nothing). */
export const ANALYZE_WORKER_KIND = "tickscope-analyze-pass";

/** What the main thread hands an analyze worker. */
export interface AnalyzeWorkerData {
  /** Always {@link ANALYZE_WORKER_KIND}. */
  kind: typeof ANALYZE_WORKER_KIND;
  /** The pass to run: captures, protocol, settings and this worker's analyses. */
  request: AnalysisPassRequest;
  /** Post `progress` messages as bytes are read. */
  reportProgress: boolean;
}

/** What one thread's pass returns (plain data): its sections or saved states, in report order, and what it decoded. */
export interface AnalysisPassOutput {
  /** Sections of its analyses (empty when the pass saved states). */
  sections: AnalysisSection[];
  /** Saved states of its analyses (`output: "states"`). */
  states?: SavedAnalysisState[];
  /** The saved state (transfer form) of the analysis split by sessions with another thread (see `AnalysisPassRequest.split`); its section is not in `sections`. */
  splitState?: SavedAnalysisState;
  /** Decode anomalies by code of the datagrams it decoded. */
  decodeAnomalies: Record<string, number>;
  /** Game messages it decoded. */
  decodedMessages: number;
}

/** What an analyze worker posts back: progress, then either its output (its sections in report order, or states) or its error. */
export type AnalyzeWorkerMessage =
  | { kind: "progress"; bytesRead: number }
  | ({ kind: "done" } & AnalysisPassOutput)
  | { kind: "error"; error: SerializedError };

/** A running analyze worker. */
export interface AnalysisWorkerHandle {
  /** Its output; rejects with the worker's error (stable code kept). */
  result: Promise<AnalysisPassOutput>;
  /** Stops the worker (no-op once it has stopped). */
  terminate(): Promise<void>;
}

/**
 * How to start the worker module: the compiled one next to this file, or the
 * TypeScript source with the source hooks; undefined when neither is there
 * (e.g. the CLI bundled into one file), and the run stays on one thread.
 */
export function analyzeWorkerLaunch(): { file: URL; execArgv?: string[] } | undefined {
  const compiled = new URL("./analyze-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return { file: compiled };
  // running from TypeScript sources (tests, tsx): load them through tsx, @tickscope/* resolved to src/
  const source = new URL("./analyze-worker.ts", import.meta.url);
  const hooks = new URL("./test-support/source-worker-hooks.mjs", import.meta.url);
  if (!existsSync(fileURLToPath(source)) || !existsSync(fileURLToPath(hooks))) return undefined;
  return { file: source, execArgv: ["--import", hooks.href] };
}

/**
 * Starts a worker thread running one shard of an analyze pass
 * (`runAnalysisPass`). Throws `DataCloneError` at once when the request is not
 * plain data. `onBytesRead` gets the worker's running count of bytes read.
 */
export function startAnalysisWorker(request: AnalysisPassRequest, onBytesRead?: (bytesRead: number) => void): AnalysisWorkerHandle {
  const launch = analyzeWorkerLaunch();
  if (launch === undefined) throw new Error("the analyze worker module is missing");
  const data: AnalyzeWorkerData = { kind: ANALYZE_WORKER_KIND, request, reportProgress: onBytesRead !== undefined };
  const worker = new Worker(launch.file, { workerData: data, ...(launch.execArgv === undefined ? {} : { execArgv: launch.execArgv }) });
  let stopped = false;
  const result = new Promise<AnalysisPassOutput>((resolve, reject) => {
    let settled = false;
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      action();
    };
    worker.on("message", (message: AnalyzeWorkerMessage) => {
      if (message.kind === "progress") onBytesRead?.(message.bytesRead);
      else if (message.kind === "done") {
        const { kind: _kind, ...output } = message;
        settle(() => resolve(output));
      }
      else settle(() => reject(deserializeError(message.error)));
    });
    worker.on("error", (error) => settle(() => reject(error)));
    worker.on("exit", (code) => {
      stopped = true;
      settle(() => reject(new Error(`an analysis worker stopped before its result (exit code ${code})`)));
    });
  });
  return {
    result,
    terminate: async () => {
      if (stopped) return;
      await worker.terminate();
    },
  };
}
