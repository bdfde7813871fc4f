import { ErrorCode, TickscopeError } from "../errors.js";
import type { Direction } from "../session.js";
import { hexToBytes } from "./bits.js";

/** What a key lookup asks for. */
export interface KeyRequest {
  /** Session id of the datagram. */
  sessionId: string;
  /** Direction of the datagram. */
  direction: Direction;
  /** The transform's key name (default: the protocol name). */
  keyName: string;
}

/** Supplies keys per session and direction from code (e.g. from a game server's key log). */
export type KeyProvider = (request: KeyRequest) => Uint8Array | undefined;

/** One line of a key file. */
export interface KeyFileEntry {
  sessionId: string;
  direction: Direction | "both";
  key: Uint8Array;
}

/**
 * Keys from a key file, in the spirit of SSLKEYLOGFILE: one line per session and
 * direction, `<sessionId|*> <clientToServer|serverToClient|both> <hex key>`,
 * `#` starts a comment. Exact session ids win over `*`.
 */
export class ProtocolKeyStore {
  private readonly exact = new Map<string, Uint8Array>();
  private readonly wildcard = new Map<string, Uint8Array>();
  /** Session id -> the same session in the other orientation ("" when the id has no endpoint pair). */
  private readonly reversedIds = new Map<string, string>();

  constructor(entries: readonly KeyFileEntry[] = []) {
    for (const entry of entries) this.add(entry);
  }

  /** Adds (or replaces) a key. */
  add(entry: KeyFileEntry): void {
    const directions: Direction[] = entry.direction === "both" ? ["clientToServer", "serverToClient"] : [entry.direction];
    for (const direction of directions) {
      if (entry.sessionId === "*") this.wildcard.set(direction, entry.key);
      else this.exact.set(`${entry.sessionId}\u0000${direction}`, entry.key);
    }
  }

  /**
   * The key for a session and direction, if any. A key file may name a session
   * in either orientation (`udp:client-server` or `udp:server-client`, e.g. from
   * a tool that took the other side as the server): a line for the reversed id
   * applies with the direction reversed too. Exact ids win over `*`.
   */
  lookup(sessionId: string, direction: Direction): Uint8Array | undefined {
    const exact = this.exact.get(`${sessionId}\u0000${direction}`);
    if (exact !== undefined) return exact;
    if (this.exact.size > 0) {
      let reversed = this.reversedIds.get(sessionId);
      if (reversed === undefined) {
        reversed = reverseSessionId(sessionId) ?? "";
        if (this.reversedIds.size < 1_000_000) this.reversedIds.set(sessionId, reversed);
      }
      if (reversed !== "") {
        const other = this.exact.get(`${reversed}\u0000${direction === "clientToServer" ? "serverToClient" : "clientToServer"}`);
        if (other !== undefined) return other;
      }
    }
    return this.wildcard.get(direction);
  }

  /** Number of exact + wildcard keys. */
  get size(): number {
    return this.exact.size + this.wildcard.size;
  }

  /** A {@link KeyProvider} view of this store. */
  provider(): KeyProvider {
    return (request) => this.lookup(request.sessionId, request.direction);
  }
}

/** Longest key in a key file, in hex characters (4 KiB keys; AEAD keys are 16 or 32 bytes). */
export const MAX_KEY_FILE_HEX_CHARACTERS = 8192;

/** True when `hex` is whole bytes of hex digits (no regular expression: a multi-megabyte line cannot overflow its stack). */
function isWholeBytesOfHex(hex: string): boolean {
  if (hex.length === 0 || hex.length % 2 !== 0) return false;
  for (let index = 0; index < hex.length; index++) {
    const code = hex.charCodeAt(index);
    const isDigit = code >= 0x30 && code <= 0x39;
    const isLetter = (code | 0x20) >= 0x61 && (code | 0x20) <= 0x66;
    if (!isDigit && !isLetter) return false;
  }
  return true;
}

/**
 * The same session id in the other orientation: `udp:10.0.0.2:50000-10.0.0.1:7777`
 * becomes `udp:10.0.0.1:7777-10.0.0.2:50000` (IPv6 endpoints are bracketed and
 * contain no `-`). Undefined when the id is not `transport:endpoint-endpoint`.
 */
export function reverseSessionId(sessionId: string): string | undefined {
  const colon = sessionId.indexOf(":");
  if (colon <= 0) return undefined;
  const endpoints = sessionId.slice(colon + 1).split("-");
  if (endpoints.length !== 2 || endpoints[0] === "" || endpoints[1] === "") return undefined;
  return `${sessionId.slice(0, colon)}:${endpoints[1]}-${endpoints[0]}`;
}

/** Parses key file text; a malformed line throws `E_INVALID_OPTION` naming the line. */
export function parseKeyFile(text: string): ProtocolKeyStore {
  const entries: KeyFileEntry[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") return;
    const parts = line.split(/\s+/);
    const [sessionId, direction, hex] = parts;
    if (hex !== undefined && hex.length > MAX_KEY_FILE_HEX_CHARACTERS) {
      throw new TickscopeError(ErrorCode.invalidOption, `key file line ${index + 1}: the key has ${hex.length} hex characters, more than ${MAX_KEY_FILE_HEX_CHARACTERS}`, {
        hint: "one key per line: AEAD keys are 32 or 64 hex characters",
      });
    }
    if (
      parts.length !== 3 ||
      (direction !== "clientToServer" && direction !== "serverToClient" && direction !== "both") ||
      !isWholeBytesOfHex(hex)
    ) {
      throw new TickscopeError(ErrorCode.invalidOption, `key file line ${index + 1}: expected "<sessionId|*> <clientToServer|serverToClient|both> <hex key>"`, {
        hint: "one key per line; # starts a comment",
      });
    }
    entries.push({ sessionId, direction, key: hexToBytes(hex) });
  });
  return new ProtocolKeyStore(entries);
}
