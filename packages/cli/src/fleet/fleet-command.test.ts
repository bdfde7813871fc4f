import { createServer } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../exit-code.js";
import { runInMemory } from "../test-support/run.js";
import { FLEET_INCOMPLETE_EXIT_CODE } from "./fleet-report.js";
import { REDIS_SKIP_REASON, TEST_REDIS_URL, uniqueQueueName, writeSimulatedCaptures } from "./test-support/fleet-test-support.js";

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

  it.skipIf(TEST_REDIS_URL === undefined)("report on an empty queue says so and exits incomplete (4)", async () => {
    const run = await runInMemory(["fleet", "report", "--redis", TEST_REDIS_URL!, "--queue", uniqueQueueName("empty"), "--out", directory]);
    expect(run.code, run.stderr).toBe(FLEET_INCOMPLETE_EXIT_CODE);
    expect(run.stdout).toContain("no job on this queue");
  });
  if (TEST_REDIS_URL === undefined) it.skip(REDIS_SKIP_REASON, () => {});
});
