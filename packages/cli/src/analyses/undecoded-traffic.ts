import type { AnalysisContext } from "./analysis-adapter.js";

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
export function notDecodedReason(context: (Pick<AnalysisContext, "definition"> & Partial<Pick<AnalysisContext, "sessions">>) | undefined): string | undefined {
  const undecoded = undecodedReason(context);
  if (undecoded !== undefined || context?.sessions === undefined || context.sessions.length > 0) return undecoded;
  return "the protocol definition matched no datagram of the capture (0 game sessions; every datagram is other traffic: check the definition's match rules and --server-port)";
}
