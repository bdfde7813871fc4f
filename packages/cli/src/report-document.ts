import { Type, type Static } from "@sinclair/typebox";
import {
  FindingSchema,
  OtherTrafficSchema,
  RecommendationSchema,
  ReportEnvelopeSchema,
  SessionSchema,
  createReportEnvelope,
  type ReportEnvelope,
} from "@tickscope/core";
import type { AnalyzeResult } from "./analyze-result.js";
import { ANALYSIS_NAMES } from "./analysis-section.js";


/** JSON Schema (TypeBox) of one capture summary in the report. */
export const CaptureSummaryRecordSchema = Type.Object({
  file: Type.String(),
  format: Type.String(),
  packets: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0 }),
  firstUs: Type.Number(),
  lastUs: Type.Number(),
  linkTypes: Type.Array(Type.Integer()),
  anomalies: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
});

/** JSON Schema (TypeBox) of the body of `tickscope analyze --format json`. */
export const AnalyzeReportBodySchema = Type.Object({
  captures: Type.Array(CaptureSummaryRecordSchema),
  sessions: Type.Array(SessionSchema),
  decodeAnomalies: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  otherTraffic: Type.Optional(OtherTrafficSchema),
  answers: Type.Array(
    Type.Object({
      analysis: Type.Union(ANALYSIS_NAMES.map((name) => Type.Literal(name))),
      question: Type.String(),
      answer: Type.Array(Type.String()),
    }),
  ),
  findings: Type.Array(FindingSchema),
  recommendations: Type.Array(RecommendationSchema),
  analyses: Type.Object(
    Object.fromEntries(ANALYSIS_NAMES.map((name) => [name, Type.Optional(Type.Unknown({ description: `@tickscope/${name} report` }))])),
  ),
});

/** Body of the JSON report. */
export type AnalyzeReportBody = Static<typeof AnalyzeReportBodySchema>;

/** JSON Schema of the whole JSON report (envelope + body): `tickscope schema report`. */
export const AnalyzeReportSchema = ReportEnvelopeSchema(AnalyzeReportBodySchema);

/** Builds the JSON report document (envelope + body) from an analyze result. */
export function buildReportDocument(result: AnalyzeResult): ReportEnvelope<AnalyzeReportBody> {
  const analyses: Record<string, unknown> = {};
  for (const section of result.sections) analyses[section.analysis] = section.report;
  const body: AnalyzeReportBody = {
    captures: result.captures,
    sessions: result.sessions,
    decodeAnomalies: result.decodeAnomalies,
    ...(result.otherTraffic === undefined ? {} : { otherTraffic: result.otherTraffic }),
    answers: result.sections.map((section) => ({ analysis: section.analysis, question: section.question, answer: section.answer })),
    findings: result.sections.flatMap((section) => section.findings),
    recommendations: result.sections.flatMap((section) => section.recommendations),
    analyses,
  };
  return createReportEnvelope(body, {
    toolVersion: result.toolVersion,
    generatedAt: result.generatedAt,
    inputs: result.inputs,
    options: result.options,
  });
}
