import { shapeLabel } from "./field-shape.js";
import type { ProtocolInference } from "./infer-protocol.js";
import type { InferredField } from "./inferred-field.js";

function describeField(field: InferredField): string {
  const shape = field.variableLength !== undefined ? `uint LE @${field.offset} (1–8 bytes)` : shapeLabel(field);
  const unit = field.unit !== undefined ? ` ${field.unit}` : field.ticksPerSecond !== undefined ? ` ${field.ticksPerSecond} ticks/s` : "";
  const when = field.when === undefined ? "" : ` when ${field.when.field} ∈ {${field.when.in.join(", ")}}`;
  return `${field.role}${unit}`.padEnd(16) + ` ${shape}${when}`.padEnd(26) + ` confidence ${field.confidence.toFixed(2)}  ${field.sentence}`;
}

/**
 * The human summary of an inference: one line per field (role, shape,
 * confidence, evidence sentence) or "nothing found" with what was tested,
 * then the notes.
 */
export function formatInference(inference: ProtocolInference): string {
  const lines: string[] = [];
  lines.push(`inferred from ${inference.datagrams} datagrams in ${inference.sessions} session(s)`);
  if (!inference.found) {
    lines.push("nothing found: no header field passed its test against random bytes (p < 1e-9)");
  } else {
    lines.push(`${inference.fields.length} header field(s):`);
    for (const field of inference.fields) lines.push(`  ${describeField(field)}`);
  }
  for (const note of inference.notes) lines.push(`note: ${note}`);
  if (inference.found && inference.definition !== undefined) lines.push("draft definition: valid (passes protocol check); review the fields before relying on them");
  return `${lines.join("\n")}\n`;
}

/** The inference as a JSON document (fields with evidence, notes, the draft definition). */
export function inferenceToJson(inference: ProtocolInference): Record<string, unknown> {
  return {
    found: inference.found,
    sessions: inference.sessions,
    datagrams: inference.datagrams,
    payloadEntropyBitsPerByte: Math.round(inference.payloadEntropyBitsPerByte * 1000) / 1000,
    fields: inference.fields,
    notes: inference.notes,
    ...(inference.selector === undefined ? {} : { selector: inference.selector }),
    ...(inference.definition === undefined ? {} : { definition: inference.definition }),
  };
}
