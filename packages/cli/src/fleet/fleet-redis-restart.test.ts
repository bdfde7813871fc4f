import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileSha256 } from "../partial-file.js";
import { submitFleetJobs } from "./fleet-submit.js";
import { runFleetWorker, type FleetPassRequest, type FleetWorkerStop, type PartialWritten } from "./fleet-worker.js";
import { probeRedis } from "./redis-connection.js";
import { parseRedisUrl } from "./redis-url.js";
import { waitFor, writeSimulatedCaptures } from "./test-support/fleet-test-support.js";

/** This test starts and stops its own redis-server (CI installs it; skipped where it is missing). */
const redisServerInstalled = spawnSync("redis-server", ["--version"]).status === 0;
const directory = mkdtempSync(join(tmpdir(), "tickscope-fleet-restart-"));
const servers: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  servers.push(server);
  const endpoint = parseRedisUrl(`redis://127.0.0.1:${port}`);
  await waitFor(() => probeRedis(endpoint, 500).then(() => true, () => false), 10_000, "redis-server to answer");
  return server;
}

async function stopRedis(server: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => server.on("exit", resolve));
  server.kill("SIGKILL");
  await exited;
}

afterAll(() => {
  for (const server of servers) server.kill("SIGKILL");
});

async function writer(request: FleetPassRequest, partialPath: string): Promise<PartialWritten> {
  writeFileSync(partialPath, JSON.stringify(request.inputs));
  return { captureSha256: await Promise.all(request.inputs.map((input) => fileSha256(input.path))) };
}

describe.skipIf(!redisServerInstalled)("a worker outlives a Redis restart", () => {
  it("keeps reconnecting while Redis is down (logged once), then takes the jobs submitted after the restart", async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    let server = await startRedis(port);
    const [first, second] = writeSimulatedCaptures(directory, 2);
    const analysis = { analyses: ["loss" as const], settings: {}, recordedOptions: {} };
    const out = join(directory, "partials");
    const stop: FleetWorkerStop = {};
    const events: string[] = [];
    const running = runFleetWorker({
      redis: parseRedisUrl(url),
      queueName: "restart",
      outDirectory: out,
      writePartial: writer,
      stop,
      onEvent: (event) => events.push(event.kind === "connection" ? "connection" : event.kind),
    });
    await waitFor(() => events.includes("ready"), 10_000, "the worker ready");
    await submitFleetJobs({ redis: parseRedisUrl(url), queueName: "restart", captures: [first!], analysis });
    await waitFor(() => events.includes("completed"), 10_000, "the first job");

    await stopRedis(server);
    await waitFor(() => events.includes("connection"), 10_000, "the worker to notice");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(events.filter((event) => event === "connection").length).toBeLessThanOrEqual(2); // not one line per retry
    server = await startRedis(port);

    await submitFleetJobs({ redis: parseRedisUrl(url), queueName: "restart", captures: [second!], analysis });
    await waitFor(() => events.filter((event) => event === "completed").length === 2, 20_000, "the job submitted after the restart");
    stop.request!("test");
    expect(await running).toEqual({ completed: 2, failed: 0 });
    expect(readdirSync(out).sort()).toEqual([`${await fileSha256(first!)}.tspart`, `${await fileSha256(second!)}.tspart`].sort());
  }, 60_000);
});
if (!redisServerInstalled) it.skip("needs redis-server on PATH (.ci/run installs it)", () => {});
