export { AnticheatAnalyzer, createAnticheatAnalyzer, sharedOutages } from "./anticheat-analyzer.js";
export {
  ANTICHEAT_STATE_VERSION,
  anticheatAnalyzerStateSchema,
  anticheatOptionsDigest,
  anticheatSessionStateSchema,
  checkAnticheatState,
  MAX_SAVED_ANOMALY_CODES,
  MAX_SAVED_SESSIONS,
  type AnticheatAnalyzerState,
  type AnticheatSessionState,
} from "./anticheat-state.js";
export { EncodedFloatSchema, EncodedSerialSchema, type EncodedFloat, type EncodedSerial } from "./state-encoding.js";
export type { LagSwitchEvent } from "./detectors/lag-switch-detector.js";
export type { DetectorEvent } from "./detector.js";
export type { AnticheatFinding, AnticheatReport, AnticheatSummary, AuditFinding, PlayerVerdict, PlayerVerdictLabel } from "./anticheat-report.js";
export { CHEAT_KINDS, MITIGATIONS, type CheatKind } from "./cheat-kind.js";
export { implausibleRoles, INPUT_PROBLEM_HINTS, INPUT_PROBLEM_KINDS, isInputProblemKind, type InputProblem, type InputProblemKind } from "./input-problem.js";
export { DEFAULT_ANTICHEAT_OPTIONS, resolveAnticheatOptions, type AnticheatOptions } from "./options.js";
export { auditProtocol } from "./protocol-audit.js";
export { AnticheatFindingSchema, AnticheatReportSchema, AuditFindingSchema, PlayerVerdictSchema, type AnticheatSchema } from "./report-schema.js";
export { compileProtocol } from "@tickscope/core/protocol";
