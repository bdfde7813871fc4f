import { runCapturePipeline, type ByteSource } from "@tickscope/capture";
import { compileProtocol, validateProtocolDefinition, type FieldDefinition, type ProtocolDefinition } from "@tickscope/core/protocol";
import { LatencyAnalyzer } from "@tickscope/latency";
import { LossAnalyzer } from "@tickscope/loss";
import type { ProtocolInference } from "../infer-protocol.js";

/** A header field of a definition with a role (or a single-value enum: a magic), at a fixed offset. */
export interface ExpectedField {
  role: string;
  name: string;
  offset: number;
  bytes: number;
  littleEndian: boolean;
}

const WIDTHS: Record<string, number> = { u8: 1, i8: 1, u16: 2, i16: 2, u24: 3, i24: 3, u32: 4, i32: 4, u48: 6, i48: 6, u64: 8, i64: 8 };
const TIMING_ROLES = new Set(["sequence", "ack", "ackBits", "sendTime"]);

/** The header fields at fixed offsets that carry a timing role or a magic, as the definition declares them. */
export function expectedHeaderFields(definition: ProtocolDefinition): ExpectedField[] {
  const fields: ExpectedField[] = [];
  let offset = 0;
  for (const field of definition.header ?? []) {
    const bytes = WIDTHS[field.type] ?? (field.type === "uint" || field.type === "int" ? ((field as FieldDefinition).bits ?? 0) / 8 : 0);
    if (!Number.isInteger(bytes) || bytes === 0 || field.when !== undefined) break;
    const littleEndian = (field.byteOrder ?? definition.byteOrder ?? "big") === "little";
    if (field.role !== undefined && TIMING_ROLES.has(field.role)) fields.push({ role: field.role, name: field.name!, offset, bytes, littleEndian: bytes > 1 && littleEndian });
    else if (field.enum !== undefined && field.enum.length === 1) fields.push({ role: "magic", name: field.name!, offset, bytes, littleEndian: bytes > 1 && littleEndian });
    offset += bytes;
  }
  return fields;
}

/** How an inference compares with a definition's header. */
export interface InferenceScore {
  expected: ExpectedField[];
  found: string[];
  missed: string[];
  wrong: string[];
}

/**
 * Scores an inference against a definition: an expected timing field is found
 * when a field of the same role has its offset, width and byte order; a magic
 * when inferred constant fields cover its bytes. A wrong field is an inferred
 * timing or length field inside the expected header that matches no expected field of its role.
 */
export function scoreInference(definition: ProtocolDefinition, inference: ProtocolInference): InferenceScore {
  const expected = expectedHeaderFields(definition);
  const found: string[] = [];
  const missed: string[] = [];
  const wrong: string[] = [];
  const label = (field: { role: string; offset: number; bytes: number; littleEndian: boolean }) => `${field.role} u${field.bytes * 8}${field.bytes > 1 ? (field.littleEndian ? " LE" : " BE") : ""} @${field.offset}`;
  for (const field of expected) {
    const hit =
      field.role === "magic"
        ? inference.fields.some((inferred) => (inferred.role === "magic" || inferred.role === "constant") && inferred.offset <= field.offset && inferred.offset + inferred.bytes >= field.offset + field.bytes) ||
          inference.fields.some((inferred) => (inferred.role === "magic" || inferred.role === "constant") && inferred.offset >= field.offset && inferred.offset < field.offset + field.bytes)
        : inference.fields.some((inferred) => inferred.role === field.role && inferred.offset === field.offset && inferred.bytes === field.bytes && inferred.littleEndian === field.littleEndian);
    (hit ? found : missed).push(label(field));
  }
  const headerEnd = expected.reduce((end, field) => Math.max(end, field.offset + field.bytes), 0);
  for (const inferred of inference.fields) {
    if (!TIMING_ROLES.has(inferred.role) && inferred.role !== "length") continue;
    if (inferred.offset >= headerEnd && !TIMING_ROLES.has(inferred.role)) continue; // a frame length after the header is not a header field
    const match = expected.some((field) => field.role === inferred.role && field.offset === inferred.offset && field.bytes === inferred.bytes && field.littleEndian === inferred.littleEndian);
    if (!match) wrong.push(label(inferred));
  }
  return { expected, found, missed, wrong };
}

/** Datagram loss (%) and the median of the sessions' RTT p50 (ms) that latency and loss measure with a definition. */
export async function lossAndRtt(capture: ByteSource, definition: ProtocolDefinition): Promise<{ lossPercent: number; rttP50Ms: number | undefined }> {
  const latency = new LatencyAnalyzer();
  const loss = new LossAnalyzer();
  await runCapturePipeline({ sources: [capture], decoder: compileProtocol(validateProtocolDefinition(definition)), analyzers: [latency, loss], finishAnalyzers: false });
  const latencyReport = latency.finish();
  const lossReport = loss.finish();
  const rtts = latencyReport.sessions.map((session) => session.rttMs.p50).filter((value) => Number.isFinite(value) && value > 0).sort((a, b) => a - b);
  const expected = lossReport.sessions.reduce((sum, stream) => sum + stream.expected, 0);
  const lost = lossReport.sessions.reduce((sum, stream) => sum + stream.lost, 0);
  return { lossPercent: expected === 0 ? Number.NaN : (100 * lost) / expected, rttP50Ms: rtts.length === 0 ? undefined : rtts[rtts.length >> 1] };
}
