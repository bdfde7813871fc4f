import { createServer } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../exit-code.js";
import { runInMemory } from "../test-support/run.js";
import { FLEET_INCOMPLETE_EXIT_CODE } from "./fleet-report.js";
import { mergeableAnalyses, REDIS_SKIP_REASON, TEST_REDIS_URL, uniqueQueueName, writeSimulatedCaptures } from "./test-support/fleet-test-support.js";

const arenaPath = resolve(import.meta.dirname, "../../../../examples/protocols/arena.json");
const directory = mkdtempSync(join(tmpdir(), "tickscope-fleet-command-"));
const [capture] = writeSimulatedCaptures(directory, 1);

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("tickscope fleet: errors are one line with a code and an exit code, never a hang", () => {
  it.each([
    ["submit", () => ["fleet", "submit", capture!]],
    ["worker", () => ["fleet", "worker", "--out", join(directory, "out")]],
    ["report", () => ["fleet", "report", "--out", join(directory, "out")]],
  ])("%s with Redis refusing connections: E_QUEUE_UNAVAILABLE, exit 3, within seconds", async (_name, args) => {
    const port = await closedPort();
    const started = Date.now();
    const run = await runInMemory([...args(), "--redis", `redis://127.0.0.1:${port}`]);
    expect(run.code, run.stderr).toBe(ExitCode.unreadableInput);
    expect(run.stderr).toMatch(new RegExp(`^tickscope: E_QUEUE_UNAVAILABLE: cannot use Redis at redis://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("a URL that is not a Redis URL, a bad queue name, no Redis at all, --protocol auto, a bad --group-by: E_INVALID_OPTION (usage, exit 2)", async () => {
    const previous = process.env.TICKSCOPE_REDIS_URL;
    delete process.env.TICKSCOPE_REDIS_URL;
    try {
      for (const args of [
        ["fleet", "submit", capture!, "--redis", "http://127.0.0.1:6379"],
        ["fleet", "worker", "--out", directory, "--redis", "redis://127.0.0.1:6379", "--queue", "a:b"],
        ["fleet", "report", "--out", directory],
        ["fleet", "submit", capture!, "--redis", "redis://127.0.0.1:6379", "--protocol", "auto"],
        ["fleet", "submit", capture!, "--redis", "redis://127.0.0.1:6379", "--group-by", "(unclosed"],
      ]) {
        const run = await runInMemory(args);
        expect(run.code, run.stderr).toBe(ExitCode.usage);
        expect(run.stderr).toMatch(/^tickscope: E_INVALID_OPTION: /);
      }
    } finally {
      if (previous !== undefined) process.env.TICKSCOPE_REDIS_URL = previous;
    }
  });

  it("a missing capture fails before anything is queued", async () => {
    const run = await runInMemory(["fleet", "submit", join(directory, "missing.pcapng"), "--redis", "redis://127.0.0.1:1"]);
    expect(run.code).toBe(ExitCode.unreadableInput);
    expect(run.stderr).toContain("E_IO: cannot read capture");
  });

  it.skipIf(TEST_REDIS_URL === undefined)("submit, worker --exit-when-idle and report in one process: the worker logs each job, the report's markdown goes to stdout and the summary to stderr", async () => {
    const queueName = uniqueQueueName("command");
    const out = join(directory, "partials");
    const queue = ["--redis", TEST_REDIS_URL!, "--queue", queueName];
    const analyses = (await mergeableAnalyses(arenaPath)).join(",");
    const submit = await runInMemory(["fleet", "submit", capture!, ...queue, "--protocol", arenaPath, "--only", analyses]);
    expect(submit.code, submit.stderr).toBe(ExitCode.ok);
    const worker = await runInMemory(["fleet", "worker", ...queue, "--out", out, "--exit-when-idle", "--lock-duration-ms", "5000", "--stalled-interval-ms", "1000"]);
    expect(worker.code, worker.stderr).toBe(ExitCode.ok);
    expect(worker.stderr).toMatch(/^fleet worker: ready: queue 'test-command-[^']+' at redis:\/\/[^,]+, 1 job\(s\) at once, partials in /m);
    expect(worker.stderr).toMatch(/^fleet worker: job [0-9a-f]{12} started \(attempt 1\): .*capture-00\.pcapng$/m);
    expect(worker.stderr).toMatch(/^fleet worker: job [0-9a-f]{12} completed in \d+\.\d\d s: .*\.tspart$/m);
    expect(worker.stderr).toContain("fleet worker: queue idle: stopping");
    expect(worker.stderr).toContain("fleet worker: stopped after 1 completed job(s), 0 failed attempt(s)");
    const report = await runInMemory(["fleet", "report", ...queue, "--out", out]);
    expect(report.code, report.stderr).toBe(ExitCode.ok);
    expect(report.stdout).toMatch(/^# /);
    expect(report.stderr).toContain("merged: 1 job(s), 1 capture(s)");
    expect(report.stderr).toContain("every job is merged");
    const again = await runInMemory(["fleet", "submit", capture!, ...queue, "--protocol", arenaPath, "--only", analyses, "--server-port", "7000"]);
    expect(again.stderr).toMatch(/already submitted \(completed\); it keeps the analysis options it was submitted with/);
  });

  it.skipIf(TEST_REDIS_URL === undefined)("report on an empty queue says so and exits incomplete (4)", async () => {
    const run = await runInMemory(["fleet", "report", "--redis", TEST_REDIS_URL!, "--queue", uniqueQueueName("empty"), "--out", directory]);
    expect(run.code, run.stderr).toBe(FLEET_INCOMPLETE_EXIT_CODE);
    expect(run.stdout).toContain("no job on this queue");
  });
  if (TEST_REDIS_URL === undefined) it.skip(REDIS_SKIP_REASON, () => {});
});
