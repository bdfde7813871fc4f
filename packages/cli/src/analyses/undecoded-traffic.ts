import { ErrorCode } from "@tickscope/core";
import type { AnalysisContext } from "./analysis-adapter.js";

/** What the reasons of the answers read of a run: the definition, and what reading the captures decoded (fields absent when unknown). */
export type DecodeOutcomeContext = Pick<AnalysisContext, "definition"> & Partial<Pick<AnalysisContext, "sessions" | "keyFile" | "decodeAnomalies" | "decodedMessages">>;

/**
 * Why an analysis that reads decoded messages measured nothing: no protocol
 * definition was given, so the capture was read but no datagram decoded (no
 * sequence, ack, time or input roles). `undefined` when a definition was
 * given. Answers start with this instead of a clean bill ("no spike", "no
 * cheating") for something that was never looked at.
 */
export function undecodedReason(context: Pick<AnalysisContext, "definition"> | undefined): string | undefined {
  if (context === undefined || context.definition !== undefined) return undefined;
  return "no protocol definition was given (--protocol), so no datagram was decoded";
}

/**
 * Why an analysis that reads decoded messages measured nothing, once the
 * captures were read: {@link undecodedReason}, or a definition that matched no
 * datagram (no game session: every datagram was other traffic). Answers start
 * with this instead of "no RTT role", "0 kbit/s" or "no client cheats" for
 * traffic that was never the game's. Only for `toSection` (the sessions are
 * complete then), never when creating an analyzer.
 */
export function notDecodedReason(context: DecodeOutcomeContext | undefined): string | undefined {
  const undecoded = undecodedReason(context);
  if (undecoded !== undefined || context?.sessions === undefined || context.sessions.length > 0) return undecoded;
  return "the protocol definition matched no datagram of the capture (0 game sessions; every datagram is other traffic: check the definition's match rules and --server-port)";
}

/**
 * Why `E_KEY_MISSING` was counted: no key file was given (`keyFile` null), the
 * given one names none of these sessions and directions (a path), or no key is
 * known for the definition's AEAD transform (undefined: how the run was keyed is
 * unknown). Shared by the report's key note and the answers.
 */
export function missingKeyCause(keyFile: string | null | undefined): string {
  return typeof keyFile === "string"
    ? `the key file ${keyFile} has no key for these sessions and directions (check its session ids and the transform's key name)`
    : keyFile === null
      ? "no key file was given (--keys) and the protocol definition encrypts with an AEAD transform that needs one (or inline keys in the definition)"
      : "no key was given for the definition's AEAD transform (--keys or inline keys)";
}

/** Why the game's datagrams could not be decoded, from {@link undecryptedReason}. */
export interface UndecryptedReason {
  /** The reason, a clause without a final period ("no game message could be decoded — ..."). */
  text: string;
  /** More datagrams failed to decrypt than messages were decoded: what was measured is the lesser part. */
  mostly: boolean;
}

/**
 * Why datagrams of the game could not be decoded (`E_KEY_MISSING`: no key;
 * `E_DECRYPT_FAILED`: the key did not verify): the one place every answer takes
 * that reason from, instead of "the definition has no ack/sequence role" for
 * roles that were never read. Undefined when no datagram failed to decrypt.
 * Answers say "Not measured: …" with it when they measured nothing, and lead with
 * it when it is `mostly` (the figures then cover only the few decoded messages,
 * e.g. netcode's unencrypted connection requests); a few failed datagrams beside
 * decoded traffic stay a count under the decode anomalies.
 */
export function undecryptedReason(context: DecodeOutcomeContext | undefined): UndecryptedReason | undefined {
  const anomalies = context?.decodeAnomalies;
  if (anomalies === undefined) return undefined;
  const missing = anomalies[ErrorCode.keyMissing] ?? 0;
  const failed = anomalies[ErrorCode.decryptFailed] ?? 0;
  if (missing + failed === 0) return undefined;
  const causes: string[] = [];
  if (missing > 0) causes.push(`${missing} datagram(s) could not be decrypted because ${missingKeyCause(context!.keyFile)} (${ErrorCode.keyMissing})`);
  if (failed > 0) {
    causes.push(`${failed} datagram(s) did not verify with the given key (${ErrorCode.decryptFailed}: a wrong key, or key settings that do not match the definition's transform)`);
  }
  const decoded = context!.decodedMessages;
  const lead =
    decoded === 0
      ? "no game message could be decoded"
      : `the game's encrypted datagrams could not be decoded${decoded === undefined ? "" : ` (only ${decoded} message(s) readable without them were)`}`;
  return { text: `${lead} — ${causes.join("; ")}`, mostly: decoded === undefined || missing + failed > decoded };
}
