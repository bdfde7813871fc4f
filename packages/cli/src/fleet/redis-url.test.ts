import { describe, expect, it } from "vitest";
import { hasErrorCode } from "@tickscope/core";
import { parseRedisUrl } from "./redis-url.js";

describe("parseRedisUrl", () => {
  it("reads host, port, database, credentials and TLS; the display hides the password", () => {
    expect(parseRedisUrl("redis://127.0.0.1:6390")).toEqual({ host: "127.0.0.1", port: 6390, database: 0, tls: false, display: "redis://127.0.0.1:6390" });
    const full = parseRedisUrl("rediss://fleet:s%40cret@redis.example:6380/3");
    expect(full).toEqual({ host: "redis.example", port: 6380, database: 3, username: "fleet", password: "s@cret", tls: true, display: "rediss://fleet:***@redis.example:6380/3" });
    expect(parseRedisUrl("redis://:pw@[::1]").display).toBe("redis://:***@[::1]:6379");
    expect(parseRedisUrl("redis://[::1]").host).toBe("::1");
    expect(parseRedisUrl("redis://cache").port).toBe(6379);
  });

  it.each([
    ["not a url", "cannot be parsed"],
    ["http://127.0.0.1:6379", "scheme is 'http'"],
    ["redis://127.0.0.1:6379/db", "not a database number"],
    ["redis://127.0.0.1:6379/?timeout=1", "query strings"],
    ["redis://host:0", "port"],
    ["redis:///0", "no host"],
  ])("'%s' is E_INVALID_OPTION (%s), before any connection", (text, reason) => {
    let caught: unknown;
    try {
      parseRedisUrl(text);
    } catch (error) {
      caught = error;
    }
    expect(hasErrorCode(caught, "E_INVALID_OPTION"), String(caught)).toBe(true);
    expect((caught as Error).message).toContain(reason);
  });

  it("never shows a password in an error", () => {
    expect(() => parseRedisUrl("http://user:hunter2@host")).toThrow(/user:\*\*\*@host/);
    expect(() => parseRedisUrl("http://user:hunter2@host")).not.toThrow(/hunter2/);
  });
});
