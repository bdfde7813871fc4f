import { Type, type Static } from "@sinclair/typebox";
import { TimeUsSchema } from "./time.js";

/** Severity of a finding, lowest first. */
export const SeveritySchema = Type.Union([
  Type.Literal("info"),
  Type.Literal("low"),
  Type.Literal("medium"),
  Type.Literal("high"),
  Type.Literal("critical"),
]);

/** Severity of a finding. */
export type Severity = Static<typeof SeveritySchema>;

/** Severities in increasing order. */
export const SEVERITIES: readonly Severity[] = ["info", "low", "medium", "high", "critical"];

/** Compares severities: negative when `a` is less severe than `b`. */
export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITIES.indexOf(a) - SEVERITIES.indexOf(b);
}

/** Evidence behind a finding: named numbers, and packet indices a human can open in Wireshark. */
export const EvidenceSchema = Type.Object({
  values: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Boolean()])),
  packetIndices: Type.Array(Type.Integer({ minimum: 0 }), { description: "0-based; Wireshark frame = index + 1" }),
  frameNumbers: Type.Optional(
    Type.Array(Type.Integer({ minimum: 1 }), { description: "the same packets as Wireshark frame numbers (1-based); written by the tickscope CLI's machine outputs" }),
  ),
});

/** Evidence behind a finding. */
export type Evidence = Static<typeof EvidenceSchema>;

/** A finding: one thing an analysis noticed, with the evidence behind it. The same shape across packages. */
export const FindingSchema = Type.Object({
  id: Type.String({ description: "stable within a report, e.g. latency.spike.3" }),
  analysis: Type.String({ description: "package that produced it: latency, loss, bandwidth, anticheat, regions" }),
  kind: Type.String(),
  severity: SeveritySchema,
  startUs: TimeUsSchema,
  endUs: TimeUsSchema,
  session: Type.Optional(Type.String()),
  player: Type.Optional(Type.String()),
  confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  summary: Type.String({ description: "one human sentence" }),
  evidence: EvidenceSchema,
});

/** A finding, with the evidence behind it. */
export type Finding = Static<typeof FindingSchema>;
