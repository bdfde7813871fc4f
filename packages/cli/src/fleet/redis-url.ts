import { ErrorCode, TickscopeError } from "@tickscope/core";
import { escapeTerminalText } from "../terminal-text.js";

/** Where the fleet's Redis is, parsed from `--redis redis://[user:password@]host[:port][/db]`. */
export interface RedisEndpoint {
  /** Host name or address (IPv6 without brackets). */
  host: string;
  /** TCP port (default 6379). */
  port: number;
  /** Database number (default 0). */
  database: number;
  /** ACL user name, when given. */
  username?: string;
  /** Password, when given. */
  password?: string;
  /** TLS (`rediss://`). */
  tls: boolean;
  /** The URL as it may be shown: the password replaced by `***`. */
  display: string;
}

/** Default Redis port. */
export const DEFAULT_REDIS_PORT = 6379;

/** Highest database number accepted (Redis's default `databases 16`; larger configurations exist). */
const MAX_DATABASE = 1_000_000;

function invalidUrl(text: string, reason: string): TickscopeError {
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return new TickscopeError(ErrorCode.invalidOption, `--redis '${escapeTerminalText(shown.replace(/:\/\/([^:@/]*):[^@/]*@/, "://$1:***@"))}' is not a Redis URL: ${reason}`, {
    hint: "give e.g. --redis redis://127.0.0.1:6379 (rediss:// for TLS, redis://:password@host:port/db)",
  });
}

/**
 * Parses a Redis URL (`redis://` or `rediss://`, optional user and password,
 * host, port, `/db`). Anything else is `E_INVALID_OPTION`, before any
 * connection is tried.
 */
export function parseRedisUrl(text: string): RedisEndpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidUrl(text, "it cannot be parsed as a URL");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw invalidUrl(text, `the scheme is '${url.protocol.replace(/:$/, "")}', not redis or rediss`);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw invalidUrl(text, "it names no host");
  if (url.search !== "" || url.hash !== "") throw invalidUrl(text, "query strings and fragments are not supported");
  const port = url.port === "" ? DEFAULT_REDIS_PORT : Number(url.port);
  if (!(port >= 1 && port <= 65535)) throw invalidUrl(text, "the port is not between 1 and 65535");
  const path = url.pathname.replace(/^\//, "");
  if (path !== "" && !/^\d{1,7}$/.test(path)) throw invalidUrl(text, `the path '/${path}' is not a database number`);
  const database = path === "" ? 0 : Number(path);
  if (database > MAX_DATABASE) throw invalidUrl(text, `database ${database} is too large`);
  const username = url.username === "" ? undefined : decodeURIComponent(url.username);
  const password = url.password === "" ? undefined : decodeURIComponent(url.password);
  const credentials = username === undefined && password === undefined ? "" : `${username ?? ""}${password === undefined ? "" : ":***"}@`;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return {
    host,
    port,
    database,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    tls: url.protocol === "rediss:",
    display: `${url.protocol}//${credentials}${hostPart}:${port}${database === 0 ? "" : `/${database}`}`,
  };
}
