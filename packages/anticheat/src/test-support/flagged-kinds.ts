import type { AnticheatReport } from "../anticheat-report.js";
import { isInputProblemKind } from "../input-problem.js";

/**
 * The cheat kinds a report flags, by session: every finding except the input problems (a wrong
 * key or definition is not the player's doing). Shared by the evaluations that score recall and
 * honest players flagged.
 */
export function flaggedKindsBySession(report: AnticheatReport): Map<string, Set<string>> {
  const kindsBySession = new Map<string, Set<string>>();
  for (const finding of report.findings) {
    if (isInputProblemKind(finding.kind) || finding.session === undefined) continue;
    const kinds = kindsBySession.get(finding.session) ?? new Set<string>();
    kinds.add(finding.kind);
    kindsBySession.set(finding.session, kinds);
  }
  return kindsBySession;
}
