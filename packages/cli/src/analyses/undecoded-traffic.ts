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
