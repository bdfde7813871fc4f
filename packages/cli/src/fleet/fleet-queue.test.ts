import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import { fileSha256 } from "../partial-file.js";
import { parseGroupPattern } from "./capture-groups.js";
import { jobIdOf } from "./fleet-job.js";
import { buildFleetReport, formatFleetSummary, type FleetMerge } from "./fleet-report.js";
import { readFleetStatus } from "./fleet-status.js";
import { submitFleetJobs, type FleetSubmitOptions } from "./fleet-submit.js";
import { runFleetWorker, type FleetPassRequest, type FleetWorkerStop, type PartialWritten } from "./fleet-worker.js";
import { connectionOptionsFor } from "./redis-connection.js";
import { parseRedisUrl } from "./redis-url.js";
import { REDIS_SKIP_REASON, TEST_REDIS_URL, uniqueQueueName, writeSimulatedCaptures } from "./test-support/fleet-test-support.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-fleet-queue-"));
const queues: string[] = [];
const analysis = { analyses: ["loss" as const], settings: {}, recordedOptions: {} };

/**
 * A stand-in for the partial writer that records what it was asked (this test
 * is about the queue, not the analysis): it fails like the capture reader on
 * bytes that are not a capture, and once with a transient error on a path
 * named `flaky`.
 */
const calls: string[] = [];
const flakyFailures = new Set<string>();
async function recordingWriter(request: FleetPassRequest, partialPath: string): Promise<PartialWritten> {
  const hashes: string[] = [];
  for (const input of request.inputs) {
    calls.push(input.path);
    const head = readFileSync(input.path).subarray(0, 4).toString("hex");
    if (head !== "0a0d0d0a") throw new TickscopeError(ErrorCode.badMagic, `'${input.path}' is not a pcap or pcapng file (magic ${head})`);
    if (input.path.includes("flaky") && !flakyFailures.has(input.path)) {
      flakyFailures.add(input.path);
      throw new Error("the shared filesystem went away for a moment");
    }
    hashes.push(await fileSha256(input.path));
  }
  writeFileSync(partialPath, JSON.stringify(request.inputs));
  return { captureSha256: hashes };
}

function submitOptions(queueName: string, captures: string[], extra: Partial<FleetSubmitOptions> = {}): FleetSubmitOptions {
  return { redis: parseRedisUrl(TEST_REDIS_URL!), queueName, captures, analysis, backoffMs: 20, ...extra };
}

afterAll(async () => {
  if (TEST_REDIS_URL === undefined) return;
  for (const name of queues) {
    const queue = new Queue(name, { connection: connectionOptionsFor(parseRedisUrl(TEST_REDIS_URL), "command") });
    await queue.obliterate({ force: true });
    await queue.close();
  }
});

describe.skipIf(TEST_REDIS_URL === undefined)("fleet queue on a real Redis: idempotent submit, worker lifecycle, failures in the report", () => {
  it("submitting the same captures twice (and a copy of one) makes one job per content hash", async () => {
    const queueName = uniqueQueueName("idempotent");
    queues.push(queueName);
    const captures = writeSimulatedCaptures(mkdtempSync(join(directory, "idempotent-")), 3);
    const copy = join(directory, "copy-of-first.pcapng");
    copyFileSync(captures[0]!, copy);
    const first = await submitFleetJobs(submitOptions(queueName, [...captures, copy]));
    expect(first).toEqual({ captures: 4, jobs: 3, added: 3, existing: 0, retried: 0, differentOptions: 0 });
    const again = await submitFleetJobs(submitOptions(queueName, captures, { analysis: { ...analysis, analyses: ["loss", "latency"] } }));
    expect(again).toEqual({ captures: 3, jobs: 3, added: 0, existing: 3, retried: 0, differentOptions: 3 });
    const status = await readFleetStatus(parseRedisUrl(TEST_REDIS_URL!), queueName, directory);
    expect(status.jobs.map((job) => job.id).sort()).toEqual((await Promise.all(captures.map((path) => fileSha256(path)))).sort());
    expect(status.jobs.every((job) => job.state === "waiting")).toBe(true);
  });

  it("--group-by makes a rotation one job (id: the hash of its captures' hashes, in name order), with its captures in order", async () => {
    const queueName = uniqueQueueName("group");
    queues.push(queueName);
    const captureDirectory = mkdtempSync(join(directory, "group-"));
    const [first, second, third] = writeSimulatedCaptures(captureDirectory, 3);
    const result = await submitFleetJobs(submitOptions(queueName, [third!, first!, second!], { groupPattern: parseGroupPattern("^(capture)-0[01]") }));
    expect(result).toMatchObject({ captures: 3, jobs: 2, added: 2 });
    const status = await readFleetStatus(parseRedisUrl(TEST_REDIS_URL!), queueName, directory);
    const group = status.jobs.find((job) => job.captures.length === 2)!;
    expect(group.captures).toEqual([first, second]);
    expect(group.id).toBe(jobIdOf([{ sha256: await fileSha256(first!) }, { sha256: await fileSha256(second!) }]));
    expect(group.id).not.toBe(await fileSha256(first!));
  });

  it("a worker writes <hash>.tspart per job (no temporary left); a corrupt capture fails at once with its code; a transient error is retried", async () => {
    const queueName = uniqueQueueName("worker");
    queues.push(queueName);
    const captureDirectory = mkdtempSync(join(directory, "worker-"));
    const captures = writeSimulatedCaptures(captureDirectory, 3);
    const corrupt = join(captureDirectory, "corrupt.pcapng");
    writeFileSync(corrupt, "this is not a capture file at all".repeat(10));
    const flaky = join(captureDirectory, "flaky.pcapng");
    writeFileSync(flaky, Buffer.concat([readFileSync(captures[0]!), Buffer.from("different bytes")]));
    await submitFleetJobs(submitOptions(queueName, [...captures, corrupt, flaky]));
    const out = join(captureDirectory, "partials");
    const events: string[] = [];
    const summary = await runFleetWorker({
      redis: parseRedisUrl(TEST_REDIS_URL!),
      queueName,
      outDirectory: out,
      writePartial: recordingWriter,
      exitWhenIdle: true,
      onEvent: (event) => events.push(event.kind === "failed" ? `failed ${event.willRetry ? "retry" : "final"}: ${event.reason}` : event.kind),
    });
    expect(summary).toEqual({ completed: 4, failed: 2 });
    expect(events).toContain("failed retry: the shared filesystem went away for a moment");
    expect(events.some((event) => event.startsWith("failed final: E_BAD_MAGIC:"))).toBe(true);
    expect(events.slice(-2)).toEqual(["idle", "stopping"]);
    const hashes = await Promise.all([...captures, flaky].map((path) => fileSha256(path)));
    expect(readdirSync(out).sort()).toEqual(hashes.map((hash) => `${hash}.tspart`).sort());
    expect(calls.filter((path) => path === corrupt)).toHaveLength(1); // not retried

    const merged: string[][] = [];
    const fakeMerge = async (paths: readonly string[]): Promise<FleetMerge> => {
      merged.push([...paths]);
      return { result: {} as FleetMerge["result"], order: paths, skipped: [] };
    };
    const outcome = await buildFleetReport(parseRedisUrl(TEST_REDIS_URL!), queueName, out, fakeMerge);
    expect(merged).toEqual([hashes.map((hash) => join(out, `${hash}.tspart`)).sort()]);
    expect(outcome.incomplete).toBe(true);
    expect(outcome.mergedCaptures).toBe(4);
    const failed = outcome.status.jobs.find((job) => job.state === "failed")!;
    expect(failed).toMatchObject({ captures: [corrupt], errorCode: "E_BAD_MAGIC", attemptsMade: 1 });
    const text = formatFleetSummary(outcome);
    expect(text).toContain("merged: 4 job(s), 4 capture(s)");
    expect(text).toMatch(/failed \(not merged\): 1 job\(s\)\n\s+[0-9a-f]{12}\s+.*corrupt\.pcapng after 1 attempt — E_BAD_MAGIC: /);

    // fixed capture: --retry-failed queues the failed job again; the others stay done
    const retried = await submitFleetJobs(submitOptions(queueName, [...captures, corrupt], { retryFailed: true }));
    expect(retried).toMatchObject({ jobs: 4, added: 0, existing: 3, retried: 1 });
  });

  it("a capture changed after it was submitted fails with E_IO instead of a partial of other bytes; a removed partial is reported", async () => {
    const queueName = uniqueQueueName("changed");
    queues.push(queueName);
    const captureDirectory = mkdtempSync(join(directory, "changed-"));
    const [first, second] = writeSimulatedCaptures(captureDirectory, 2);
    await submitFleetJobs(submitOptions(queueName, [first!, second!]));
    writeFileSync(second!, Buffer.concat([readFileSync(second!), Buffer.from("appended later")]));
    const out = join(captureDirectory, "partials");
    await runFleetWorker({ redis: parseRedisUrl(TEST_REDIS_URL!), queueName, outDirectory: out, writePartial: recordingWriter, exitWhenIdle: true });
    expect(readdirSync(out)).toEqual([`${await fileSha256(first!)}.tspart`]);
    const status = await readFleetStatus(parseRedisUrl(TEST_REDIS_URL!), queueName, join(captureDirectory, "elsewhere"));
    const failed = status.jobs.find((job) => job.state === "failed");
    expect(failed?.errorCode).toBe("E_IO");
    expect(failed?.failedReason).toContain("changed since it was submitted");
    const done = status.jobs.find((job) => job.state === "completed");
    expect(done?.partialMissing).toBe(true);
    expect(formatFleetSummary({ status, mergedJobs: 0, mergedCaptures: 0, incomplete: true })).toContain("completed, partial missing (not merged): 1 job(s)");
    const active = { ...status, jobs: [{ id: "a".repeat(64), state: "active" as const, captures: [first!, second!], attemptsMade: 0 }] };
    expect(formatFleetSummary({ status: active, mergedJobs: 0, mergedCaptures: 0, incomplete: true })).toMatch(
      /active \(missing from the report\): 1 job\(s\)\n\s+a{12}\s+.*capture-00\.pcapng \(\+1 more\)\n\s+\(a job of a worker that died stays active/,
    );
  });

  it("a stop request (SIGTERM) while a job runs lets it finish and complete, takes no further job, then returns", async () => {
    const queueName = uniqueQueueName("graceful");
    queues.push(queueName);
    const captureDirectory = mkdtempSync(join(directory, "graceful-"));
    const captures = writeSimulatedCaptures(captureDirectory, 3);
    await submitFleetJobs(submitOptions(queueName, captures));
    const out = join(captureDirectory, "partials");
    const stop: FleetWorkerStop = {};
    let release: () => void = () => undefined;
    const slowWriter = async (request: FleetPassRequest, partialPath: string): Promise<PartialWritten> => {
      stop.request!("SIGTERM"); // the signal arrives while this job runs
      await new Promise<void>((resolve) => (release = resolve));
      return recordingWriter(request, partialPath);
    };
    const events: string[] = [];
    const running = runFleetWorker({ redis: parseRedisUrl(TEST_REDIS_URL!), queueName, outDirectory: out, writePartial: slowWriter, stop, onEvent: (event) => events.push(event.kind) });
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    expect(await running).toEqual({ completed: 1, failed: 0 });
    expect(events).toEqual(["ready", "started", "stopping", "completed"]);
    expect(readdirSync(out).filter((name) => name.endsWith(".tspart"))).toHaveLength(1);
    const status = await readFleetStatus(parseRedisUrl(TEST_REDIS_URL!), queueName, out);
    expect(status.jobs.map((job) => job.state).sort()).toEqual(["completed", "waiting", "waiting"]);
  });
});
if (TEST_REDIS_URL === undefined) it.skip(REDIS_SKIP_REASON, () => {});
