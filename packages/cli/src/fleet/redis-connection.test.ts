import { createServer, type Server } from "node:net";
import { describe, expect, it } from "vitest";
import { hasErrorCode } from "@tickscope/core";
import { connectionOptionsFor, probeRedis } from "./redis-connection.js";
import { parseRedisUrl } from "./redis-url.js";
import { REDIS_SKIP_REASON, TEST_REDIS_URL } from "./test-support/fleet-test-support.js";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function probeError(url: string, timeoutMs?: number): Promise<{ error: unknown; elapsedMs: number }> {
  const started = Date.now();
  try {
    await probeRedis(parseRedisUrl(url), timeoutMs);
  } catch (error) {
    return { error, elapsedMs: Date.now() - started };
  }
  throw new Error("the probe succeeded");
}

describe("probeRedis", () => {
  it("a refused connection is E_QUEUE_UNAVAILABLE at once, naming the address, not a retry loop", async () => {
    const port = await closedPort();
    const { error, elapsedMs } = await probeError(`redis://:secret@127.0.0.1:${port}`);
    expect(hasErrorCode(error, "E_QUEUE_UNAVAILABLE"), String(error)).toBe(true);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).toContain("ECONNREFUSED");
    expect((error as Error).message).not.toContain("secret");
    expect(elapsedMs).toBeLessThan(3_000);
  });

  it("a server that accepts but never answers is E_QUEUE_UNAVAILABLE after the timeout", async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const { error, elapsedMs } = await probeError(`redis://127.0.0.1:${port}`, 600);
      expect(hasErrorCode(error, "E_QUEUE_UNAVAILABLE"), String(error)).toBe(true);
      expect(elapsedMs).toBeGreaterThanOrEqual(500);
      expect(elapsedMs).toBeLessThan(3_000);
    } finally {
      silent.close();
    }
  });

  it("command connections give up reconnecting; worker connections keep trying (a worker outlives a Redis restart)", () => {
    const endpoint = parseRedisUrl("redis://127.0.0.1:6390/2");
    const command = connectionOptionsFor(endpoint, "command");
    const worker = connectionOptionsFor(endpoint, "worker");
    expect(command.db).toBe(2);
    expect(command.maxRetriesPerRequest).toBeNull();
    expect(command.retryStrategy!(1)).toBe(100);
    expect(command.retryStrategy!(11)).toBeNull();
    expect(worker.retryStrategy!(1_000)).toBe(2_000);
  });

  it.skipIf(TEST_REDIS_URL === undefined)("a reachable Redis answers with its version", async () => {
    expect(await probeRedis(parseRedisUrl(TEST_REDIS_URL!))).toMatch(/^\d+\.\d+/);
  });
  if (TEST_REDIS_URL === undefined) it.skip(REDIS_SKIP_REASON, () => {});
});
