import { createAnticheatAnalyzer, isInputProblemKind, type AnticheatOptions, type AnticheatReport } from "@tickscope/anticheat";
import type { AnalysisSection, MetricSample } from "../analysis-section.js";
import { formatNumber, formatPlayerReference, knownPlayer } from "../formats/human-values.js";
import type { AnalysisAdapter, AnalysisContext } from "./analysis-adapter.js";
import { notDecodedReason } from "./undecoded-traffic.js";

/**
 * Builds the anticheat section: verdict per player with evidence, and the
 * protocol audit. Without a protocol definition no detector had a decoded
 * message to read: the answer says that, never "no client shows cheating".
 */
export function anticheatSection(report: AnticheatReport, context?: Pick<AnalysisContext, "definition">): AnalysisSection {
  const cheating = report.players.filter((player) => player.verdict === "cheating");
  const suspicious = report.players.filter((player) => player.verdict === "suspicious");
  const unreadable = report.players.filter((player) => player.verdict === "unreadable");
  const notTested = report.players.filter((player) => player.verdict === "notTested");
  const judged = report.players.length - unreadable.length - notTested.length;
  const answer: string[] = [];
  const undecoded = notDecodedReason(context);
  if (undecoded !== undefined) {
    answer.push(
      `Not tested: ${undecoded}; every detector (speedhack, lag switch, fake lag, replay, tampering, rewind, movement, input flooding, bot timing) reads decoded messages, ` +
        `so none of the ${report.players.length} client(s) seen was checked.`,
    );
  } else {
    answer.push(
      cheating.length === 0 && suspicious.length === 0
        ? judged === 0
          ? `No player was judged (${report.players.length} seen: ${notTested.length} not tested, ${unreadable.length} unreadable).`
          : `No client shows cheating on the wire (${judged} player(s) checked).`
        : `${cheating.length} cheating and ${suspicious.length} suspicious of ${report.players.length} player(s): ` +
            [...cheating, ...suspicious]
              .slice(0, 5)
              .map((player) => `${formatPlayerReference(player.player, player.session)}: ${player.verdict} (${player.kinds.join(", ")}, score ${formatNumber(player.score)})`)
              .join("; ") +
            ".",
    );
  }
  if (undecoded === undefined && notTested.length > 0) {
    answer.push(
      `Not tested: ${notTested.length} session(s) with no decoded client message (the client sent nothing this definition decodes, e.g. a one-way stream); ` +
        `their players are not judged (verdict notTested).`,
    );
  }
  if (unreadable.length > 0) {
    // A key or definition problem of the input, not a player's cheat (anticheat's keyMismatch / keyMissing / definitionMismatch).
    const problem = report.findings.find((finding) => isInputProblemKind(finding.kind));
    const because =
      problem?.kind === "definitionMismatch"
        ? "their traffic does not decode with this definition"
        : problem?.kind === "keyMissing"
          ? "no key was available for the definition's encrypted (AEAD) transform (no key file given, or none of its lines names them), so their traffic cannot be decrypted (E_KEY_MISSING, not a wrong key)"
          : "their traffic does not verify with the given keys";
    answer.push(
      `Input problem: ${unreadable.length} session(s) not judged because ${because}` +
        `${problem === undefined ? "" : ` (${problem.kind}) → ${problem.mitigation.replace(/\.$/, "")}`}.`,
    );
  }
  const highAudit = report.audit.filter((item) => item.severity === "high" || item.severity === "critical");
  if (report.audit.length > 0) {
    answer.push(`Protocol audit: ${report.audit.length} weakness(es)${highAudit.length > 0 ? `, most serious: ${highAudit[0]!.title} → ${highAudit[0]!.fix.replace(/\.$/, "")}` : ""}.`);
  }
  const metrics: MetricSample[] = report.players.map((player) => ({
    name: "tickscope_cheat_score",
    help: "anticheat score of the player (0 clean .. 1 cheating)",
    unit: "1",
    value: player.score,
    labels: { player: knownPlayer(player.player, player.session) ?? "", session: player.session, verdict: player.verdict },
  }));
  return {
    analysis: "anticheat",
    question: "Which clients manipulate timing or packets?",
    answer,
    findings: report.findings,
    recommendations: [],
    metrics,
    tables: [
      {
        name: "anticheat-players",
        rows: report.players.map((player) => ({ player: knownPlayer(player.player, player.session) ?? null, session: player.session, verdict: player.verdict, score: player.score, kinds: player.kinds.join(" ") })),
      },
      { name: "anticheat-audit", rows: report.audit.map((item) => ({ id: item.id, severity: item.severity, title: item.title, exploit: item.exploit, fix: item.fix })) },
    ],
    series: [],
    report,
  };
}

/** `tickscope analyze` adapter of `@tickscope/anticheat` (audits the protocol definition too). */
export const anticheatAdapter: AnalysisAdapter = {
  name: "anticheat",
  question: "Which clients manipulate timing or packets?",
  // Reads entity roles only during onMessage (copies what it keeps): see AnalysisAdapter.copiesEntityRoles.
  copiesEntityRoles: true,
  // Keeps no message or roles object past onMessage (only copied values): see AnalysisAdapter.copiesMessages.
  copiesMessages: true,
  create: (context) =>
    createAnticheatAnalyzer({ ...((context.settings.anticheat ?? {}) as Partial<AnticheatOptions>), protocol: context.definition }),
  toSection: (report, context) => anticheatSection(report as AnticheatReport, context),
};
