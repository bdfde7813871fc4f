import { Redis, type RedisOptions } from "ioredis";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import type { RedisEndpoint } from "./redis-url.js";

/** How long the reachability probe waits for Redis before `E_QUEUE_UNAVAILABLE` (ms). */
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

/** Oldest Redis BullMQ 5 runs on. */
const MINIMUM_REDIS_MAJOR = 5;

/**
 * Who uses a connection: a short command (`submit`, `report`) gives up after a
 * bounded number of reconnection attempts; a worker keeps reconnecting (a
 * worker must outlive a Redis restart), logging each loss.
 */
export type ConnectionPurpose = "command" | "worker";

/** Reconnection attempts of a short command before its queue calls fail. */
const COMMAND_RECONNECT_ATTEMPTS = 10;

/** ioredis options for BullMQ's connections to `endpoint`. */
export function connectionOptionsFor(endpoint: RedisEndpoint, purpose: ConnectionPurpose): RedisOptions {
  return {
    host: endpoint.host,
    port: endpoint.port,
    db: endpoint.database,
    ...(endpoint.username === undefined ? {} : { username: endpoint.username }),
    ...(endpoint.password === undefined ? {} : { password: endpoint.password }),
    ...(endpoint.tls ? { tls: { servername: endpoint.host } } : {}),
    // BullMQ's blocking worker connections require it
    maxRetriesPerRequest: null,
    connectTimeout: DEFAULT_PROBE_TIMEOUT_MS,
    retryStrategy:
      purpose === "worker"
        ? (attempt: number) => Math.min(attempt * 200, 2_000)
        : (attempt: number) => (attempt > COMMAND_RECONNECT_ATTEMPTS ? null : Math.min(attempt * 100, 1_000)),
  };
}

/** An `E_QUEUE_UNAVAILABLE` error naming the Redis (password hidden) and why. */
export function queueUnavailable(endpoint: RedisEndpoint, reason: string, cause?: unknown): TickscopeError {
  return new TickscopeError(ErrorCode.queueUnavailable, `cannot use Redis at ${endpoint.display}: ${reason}`, {
    hint: "check that redis-server runs and listens there (redis-cli -h HOST -p PORT ping), and the --redis URL",
    ...(cause === undefined ? {} : { cause }),
  });
}

function reasonOf(error: unknown): string {
  const errno = (error as NodeJS.ErrnoException)?.code;
  const message = (error as Error)?.message ?? String(error);
  return errno !== undefined && !message.includes(errno) ? `${errno} (${message})` : message;
}

/**
 * Connects once to `endpoint`, sends PING and reads the server version, with
 * no retry and at most `timeoutMs`: a refused connection, an unknown host, a
 * wrong password or a Redis older than 5 is `E_QUEUE_UNAVAILABLE` within
 * that time, never a hang. Returns the server's version.
 */
export async function probeRedis(endpoint: RedisEndpoint, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS): Promise<string> {
  const client = new Redis({
    ...connectionOptionsFor(endpoint, "command"),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: unknown;
  client.on("error", (error: unknown) => (lastError = error));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(queueUnavailable(endpoint, `no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const version = await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
        const info = await client.info("server");
        return /^redis_version:(\S+)/m.exec(info)?.[1] ?? "unknown";
      })(),
      deadline,
    ]);
    const major = Number(version.split(".")[0]);
    if (Number.isFinite(major) && major < MINIMUM_REDIS_MAJOR) throw queueUnavailable(endpoint, `Redis ${version} is older than ${MINIMUM_REDIS_MAJOR}.0, which BullMQ needs`);
    return version;
  } catch (error) {
    if (TickscopeError.isInstance(error)) throw error;
    throw queueUnavailable(endpoint, reasonOf(lastError ?? error), lastError ?? error);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
