import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { mergePartialFiles } from "../merge-partials.js";
import { deserializeError } from "../worker-error.js";
import type { FleetMerge } from "./fleet-report.js";
import type { FleetPassRequest, PartialWritten } from "./fleet-worker.js";
import { PARTIAL_THREAD_KIND, servePartialPass, type PartialThreadMessage, type PartialThreadRequest } from "./partial-thread.js";

/**
 * How to start the partial thread: the compiled module next to this file, or
 * the TypeScript source with the source hooks (tests, tsx); undefined when
 * neither is there (a bundle), and the pass runs on the calling thread.
 */
export function partialThreadLaunch(): { file: URL; execArgv?: string[] } | undefined {
  const compiled = new URL("./partial-thread.js", import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return { file: compiled };
  const source = new URL("./partial-thread.ts", import.meta.url);
  const hooks = new URL("../test-support/source-worker-hooks.mjs", import.meta.url);
  if (!existsSync(fileURLToPath(source)) || !existsSync(fileURLToPath(hooks))) return undefined;
  return { file: source, execArgv: ["--import", hooks.href] };
}

/** Idle partial threads of this process (one per job running at once; unref'd while idle so they never keep it alive). */
const idleThreads: Worker[] = [];
let nextRequestId = 1;

function startThread(launch: { file: URL; execArgv?: string[] }): Worker {
  return new Worker(launch.file, { workerData: { kind: PARTIAL_THREAD_KIND }, ...(launch.execArgv === undefined ? {} : { execArgv: launch.execArgv }) });
}

/** Runs one request on a pooled thread; the thread goes back to the pool unless it failed. */
function runOnThread(launch: { file: URL; execArgv?: string[] }, data: PartialThreadRequest): Promise<PartialThreadMessage> {
  const thread = idleThreads.pop() ?? startThread(launch);
  thread.ref();
  return new Promise<PartialThreadMessage>((resolve, reject) => {
    const cleanUp = (): void => {
      thread.off("message", onMessage);
      thread.off("error", onError);
      thread.off("exit", onExit);
    };
    const onMessage = (message: PartialThreadMessage): void => {
      if (message.id !== data.id) return;
      cleanUp();
      thread.unref();
      idleThreads.push(thread);
      resolve(message);
    };
    const onError = (error: Error): void => {
      cleanUp();
      void thread.terminate();
      reject(error);
    };
    const onExit = (code: number): void => {
      cleanUp();
      reject(new Error(`the partial thread stopped before its result (exit code ${code})`));
    };
    thread.on("message", onMessage);
    thread.on("error", onError);
    thread.on("exit", onExit);
    thread.postMessage(data);
  });
}

/**
 * The fleet's partial writer: the CLI's `analyze --partial` pass
 * (`writePartialFile`) on one job's captures, in a worker thread (pooled: the
 * modules load once per process), so a pass that keeps a thread busy for
 * seconds never delays the main thread that renews the job's BullMQ lock.
 * (That alone does not keep a lock on a machine that stalls whole processes:
 * a 100 MB capture at load average 40 here lost its lock with the pass on
 * either thread; `--lock-duration-ms` is the remedy, and a job run twice still
 * counts once.) Returns the content hashes the pass read; errors keep their
 * stable code.
 */
export async function writeFleetPartial(request: FleetPassRequest, partialPath: string): Promise<PartialWritten> {
  const data: PartialThreadRequest = { id: nextRequestId++, request, partialPath };
  const launch = partialThreadLaunch();
  let message: PartialThreadMessage | undefined;
  if (launch === undefined) await servePartialPass(data, (posted) => (message = posted));
  else message = await runOnThread(launch, data);
  if (message === undefined) throw new Error("the partial pass gave no result");
  if (message.kind === "error") throw deserializeError(message.error);
  return { captureSha256: message.captureSha256 };
}

/** The fleet's merge: the CLI's `tickscope merge` of partial report files (captures counted once by content hash). */
export async function mergeFleetPartials(partialPaths: readonly string[]): Promise<FleetMerge> {
  const merged = await mergePartialFiles(partialPaths);
  return { result: merged.result, order: merged.order, skipped: merged.skipped };
}
