import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { ErrorCode, TickscopeError, type ErrorCodeValue } from "@tickscope/core";
import { commitMatchOutputs, discardMatchOutputs, writeMatchCapture, type MatchOptions, type MatchOutputPaths, type MatchResult } from "@tickscope/sim";
import type { SimulationWorkerMessage } from "./simulate-worker.js";

/** What a simulation run returns to the command. */
export type SimulationOutcome = Pick<MatchResult, "summary" | "header">;

/** Options of {@link runSimulation}. */
export interface RunSimulationOptions {
  /** Called with the simulated time, ms. */
  onProgress?: (simulatedMs: number) => void;
  /**
   * Called when a signal arrived, before it is raised again: `removed` when the
   * run was stopped and its files removed, `completed` when the (synchronous)
   * run had already written and committed them.
   */
  onInterrupted?: (signal: NodeJS.Signals, outcome: "removed" | "completed") => void;
  /** Run in a worker thread when the compiled worker is available (default true). */
  useWorker?: boolean;
}

const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** The compiled worker next to this module (absent when running from TypeScript sources). */
function workerFile(): string | undefined {
  const path = fileURLToPath(new URL("./simulate-worker.js", import.meta.url));
  return existsSync(path) ? path : undefined;
}

function raiseAgain(signal: NodeJS.Signals): void {
  // default disposition again, so the exit status says which signal ended us (130, 143...)
  process.kill(process.pid, signal);
}

/**
 * Simulates a match and writes its files so that no output is ever left half
 * written: every file goes to a temporary name and is renamed into place when
 * the whole match is done. The simulation runs in a worker thread, so SIGINT,
 * SIGTERM and SIGHUP are handled at once: the worker is stopped, the temporary
 * files are removed, and the signal is raised again. (From TypeScript sources,
 * without the compiled worker, the run is synchronous: a signal then waits
 * until the files are complete and committed.)
 */
export async function runSimulation(match: MatchOptions, paths: MatchOutputPaths, options: RunSimulationOptions = {}): Promise<SimulationOutcome> {
  const token = `${process.pid}-${Date.now().toString(36)}`;
  const file = options.useWorker === false ? undefined : workerFile();
  const received: NodeJS.Signals[] = [];
  let onSignal: (signal: NodeJS.Signals) => void = (signal) => void received.push(signal);
  const handler = (signal: NodeJS.Signals): void => onSignal(signal);
  for (const signal of SIGNALS) process.on(signal, handler);
  const removeHandlers = (): void => {
    for (const signal of SIGNALS) process.removeListener(signal, handler);
  };
  try {
    if (file === undefined) {
      const result = writeMatchCapture(match, { ...paths, temporaryToken: token, onProgress: options.onProgress });
      // let a signal that arrived during the synchronous run reach the handler before it is removed
      // (the event loop dispatches it on its second turn at the latest)
      for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
      return { summary: result.summary, header: result.header };
    }
    return await new Promise<SimulationOutcome>((resolve, reject) => {
      const worker = new Worker(file, { workerData: { match, paths: { ...paths, temporaryToken: token } } });
      let settled = false;
      const settle = (action: () => void): void => {
        if (settled) return;
        settled = true;
        action();
      };
      onSignal = (signal) =>
        settle(() => {
          void worker.terminate().finally(() => {
            discardMatchOutputs(paths, token);
            options.onInterrupted?.(signal, "removed");
            removeHandlers();
            raiseAgain(signal);
          });
        });
      worker.on("message", (message: SimulationWorkerMessage) => {
        if (message.kind === "progress") options.onProgress?.(message.simulatedMs);
        else if (message.kind === "done") {
          settle(() => {
            try {
              commitMatchOutputs(paths, token);
              resolve(message.result as SimulationOutcome);
            } catch (error) {
              reject(error);
            }
          });
        } else {
          settle(() => {
            discardMatchOutputs(paths, token);
            reject(
              message.code === undefined
                ? new Error(message.message)
                : new TickscopeError(message.code as ErrorCodeValue, message.message, message.hint === undefined ? {} : { hint: message.hint }),
            );
          });
        }
      });
      worker.on("error", (error) =>
        settle(() => {
          discardMatchOutputs(paths, token);
          reject(error);
        }),
      );
      worker.on("exit", (code) =>
        settle(() => {
          discardMatchOutputs(paths, token);
          reject(new TickscopeError(ErrorCode.io, `the simulation stopped early (worker exit code ${code})`, { hint: "rerun with --verbose and report this as a bug" }));
        }),
      );
    });
  } finally {
    if (received.length === 0) removeHandlers();
    else {
      // a signal arrived while the synchronous run finished and committed its files: honour it now
      removeHandlers();
      options.onInterrupted?.(received[0]!, "completed");
      raiseAgain(received[0]!);
    }
  }
}
