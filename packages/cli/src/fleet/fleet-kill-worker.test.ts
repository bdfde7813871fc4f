import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Queue } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { ExitCode } from "../exit-code.js";
import { runInMemory } from "../test-support/run.js";
import { FLEET_INCOMPLETE_EXIT_CODE } from "./fleet-report.js";
import { connectionOptionsFor } from "./redis-connection.js";
import { parseRedisUrl } from "./redis-url.js";
import { mergeableAnalyses, REDIS_SKIP_REASON, startCli, TEST_REDIS_URL, uniqueQueueName, waitFor, writeSimulatedCaptures, type CliProcess } from "./test-support/fleet-test-support.js";

const repositoryRoot = resolve(import.meta.dirname, "../../../..");
const arenaPath = join(repositoryRoot, "examples", "protocols", "arena.json");
const directory = mkdtempSync(join(tmpdir(), "tickscope-fleet-kill-"));
const queueName = uniqueQueueName("kill");
const workers: CliProcess[] = [];

afterAll(async () => {
  for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
  if (TEST_REDIS_URL === undefined) return;
  const queue = new Queue(queueName, { connection: connectionOptionsFor(parseRedisUrl(TEST_REDIS_URL), "command") });
  await queue.obliterate({ force: true });
  await queue.close();
});

/** Job ids a worker's log says it started / completed. */
function jobIds(log: string, what: "started" | "completed"): string[] {
  return [...log.matchAll(new RegExp(`^fleet worker: job ([0-9a-f]{12}) ${what}`, "gm"))].map((match) => match[1]!);
}

describe.skipIf(TEST_REDIS_URL === undefined)("fleet on a real Redis: 3 worker processes, one killed mid-job (issue 18)", () => {
  it("the fleet report equals one analyze over the 20 captures, each counted once; submitting twice is 20 jobs; a corrupt capture is a failed job with its code", async () => {
    const redis = TEST_REDIS_URL!;
    const analyses = await mergeableAnalyses(arenaPath);
    expect(analyses.length).toBeGreaterThan(0);
    // the first three jobs (one per worker: the queue is first in, first out) are longer, so the
    // worker killed on its first job is sure to be holding it
    const captures = writeSimulatedCaptures(directory, 20, { players: 4, durationMs: 6_000, sizeOf: (index) => (index < 3 ? { players: 6, durationMs: 12_000 } : undefined) });
    const corrupt = join(directory, "corrupt.pcapng");
    writeFileSync(corrupt, Buffer.from("this is not a capture file at all, only text ".repeat(40)));
    const partials = join(directory, "partials");

    // three real worker processes (the CLI from its sources), ready before anything is queued
    for (let index = 0; index < 3; index += 1) workers.push(startCli(["fleet", "worker", "--redis", redis, "--queue", queueName, "--out", partials]));
    await waitFor(() => workers.every((worker) => worker.stderr().includes("fleet worker: ready")), 90_000, `3 workers ready: ${workers.map((worker) => worker.stderr()).join("\n")}`);

    // the first worker is killed with SIGKILL the moment it logs that it holds a job (listening before anything is queued)
    const victim = workers[0]!;
    let killedAtMs = 0;
    const killed = (async () => {
      await new Promise<void>((resolveKill) =>
        victim.child.stderr!.on("data", () => {
          if (killedAtMs === 0 && jobIds(victim.stderr(), "started").length > 0 && victim.child.kill("SIGKILL")) {
            killedAtMs = Date.now();
            resolveKill();
          }
        }),
      );
      return victim.exited;
    })();

    const submit = ["fleet", "submit", ...captures, corrupt, "--redis", redis, "--queue", queueName, "--protocol", arenaPath, "--only", analyses.join(",")];
    const first = await runInMemory(submit);
    expect(first.code, first.stderr).toBe(ExitCode.ok);
    expect(first.stdout).toContain("21 capture(s) in 21 job(s)");
    expect(first.stdout).toContain("21 added");

    expect(await killed).toBe("SIGKILL");
    const held = jobIds(victim.stderr(), "started").filter((id) => !jobIds(victim.stderr(), "completed").includes(id));
    expect(held, victim.stderr()).toHaveLength(1);

    // the same captures again: no new job
    const again = await runInMemory(submit);
    expect(again.code, again.stderr).toBe(ExitCode.ok);
    expect(again.stdout).toContain("0 added, 21 already there");

    // the killed worker's job comes back (lock expiry after at most 6 s + a stalled check every 3 s) and another worker completes it
    const survivors = workers.slice(1);
    const survivorLog = (): string => survivors.map((worker) => worker.stderr()).join("");
    await waitFor(() => jobIds(survivorLog(), "completed").includes(held[0]!), 90_000, `job ${held[0]} completed by another worker`);
    const recoveredWithinMs = Date.now() - killedAtMs;
    const queue = new Queue(queueName, { connection: connectionOptionsFor(parseRedisUrl(redis), "command") });
    try {
      await waitFor(
        async () => {
          const counts = await queue.getJobCounts("completed", "failed");
          return counts.completed! + counts.failed! === 21;
        },
        90_000,
        "every job done",
        250,
      );
    } finally {
      await queue.close();
    }
    expect(survivorLog()).toMatch(/failed: E_BAD_MAGIC: /);
    for (const worker of survivors) worker.child.kill("SIGTERM");
    for (const worker of survivors) expect(await worker.exited).toBe(0);
    // no temporary or half file counts: exactly the 20 partials (the killed worker's temporary may remain, hidden)
    expect(readdirSync(partials).filter((name) => name.endsWith(".tspart"))).toHaveLength(20);

    const reportDirectory = join(directory, "fleet-report");
    const report = await runInMemory(["fleet", "report", "--redis", redis, "--queue", queueName, "--out", partials, "--format", "json", "--report-dir", reportDirectory]);
    expect(report.code, report.stderr).toBe(FLEET_INCOMPLETE_EXIT_CODE);
    expect(report.stdout).toContain("merged: 20 job(s), 20 capture(s)");
    expect(report.stdout).toMatch(/failed \(not merged\): 1 job\(s\)\n\s+[0-9a-f]{12}\s+.*corrupt\.pcapng after 1 attempt — E_BAD_MAGIC: /);

    const singleDirectory = join(directory, "single-pass");
    const single = await runInMemory(["analyze", ...captures, "--protocol", arenaPath, "--only", analyses.join(","), "--format", "json", "--out", singleDirectory, "--quiet"]);
    expect(single.code, single.stderr).toBe(ExitCode.ok);
    const merged = readFileSync(join(reportDirectory, "report.json"), "utf8");
    expect(merged).toBe(readFileSync(join(singleDirectory, "report.json"), "utf8"));
    // every capture counted once: 3 captures of 6 sessions and 17 of 4
    const parsed = JSON.parse(merged) as { report: { captures: { file: string }[]; sessions: unknown[] } };
    expect(parsed.report.captures.map((capture) => capture.file)).toEqual(captures);
    expect(parsed.report.sessions).toHaveLength(3 * 6 + 17 * 4);
    // the killed worker's job was back and done within lock (6 s) + stalled check (3 s) + the queue ahead of it (a loaded machine: generous)
    expect(recoveredWithinMs).toBeLessThan(60_000);
  }, 240_000);
});
if (TEST_REDIS_URL === undefined) it.skip(REDIS_SKIP_REASON, () => {});
