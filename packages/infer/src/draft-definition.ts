import type { FieldDefinition, MatchConditionDefinition, ProtocolDefinition } from "@tickscope/core/protocol";
import { shapeLabel } from "./field-shape.js";
import type { InferredField } from "./inferred-field.js";
import type { FrameLayout, InferredEcho } from "./frame-echo.js";
import type { InferredReportedRtt } from "./reported-rtt.js";

/** Options of {@link draftDefinition}. */
export interface DraftDefinitionOptions {
  /** Definition name (default `inferred`). */
  name?: string;
  /** Server ports the inference was restricted to (become `match.ports`). */
  serverPorts?: readonly number[];
  /** A selector byte at offset 0 whose values gate the conditional fields: `field` names it, `highBits` 8, 4 or 1. */
  selector?: { name: string; highBits: number };
  /** Messages framed as type + length (the length field is the inferred `length` field). */
  frames?: FrameLayout;
  /** A ping/pong echo in the framed messages. */
  echo?: InferredEcho;
  /** A reported RTT in the framed messages. */
  reportedRtt?: InferredReportedRtt;
}

/** Wire type of an integer field of `bytes` bytes. */
function integerType(bytes: number): FieldDefinition {
  return bytes === 1 || bytes === 2 || bytes === 3 || bytes === 4 || bytes === 6 || bytes === 8
    ? { type: `u${bytes * 8}` as FieldDefinition["type"] }
    : { type: "uint", bits: bytes * 8 };
}

function fieldDefinition(field: InferredField): FieldDefinition {
  const definition: FieldDefinition = { name: field.name, ...integerType(field.bytes) };
  if (field.bytes > 1) definition.byteOrder = field.littleEndian ? "little" : "big";
  switch (field.role) {
    case "sequence":
    case "ack":
    case "ackBits":
    case "sessionId":
    case "messageType":
      definition.role = field.role;
      break;
    case "sendTime":
      definition.role = "sendTime";
      if (field.unit !== undefined) definition.unit = field.unit;
      else definition.ticksPerSecond = field.ticksPerSecond;
      break;
    default:
      break;
  }
  definition.description = `inferred (confidence ${field.confidence.toFixed(2)}): ${field.sentence}`.slice(0, 400);
  if (field.when !== undefined) definition.when = { field: field.when.field, in: field.when.in };
  return definition;
}

/**
 * A draft definition from inferred header fields: the fields at their
 * offsets (unknown bytes in between as `bytes`), the rest of the datagram one
 * opaque `payload` message, and a `match` section (the header must fit; a
 * magic accepts the flow). Valid for `tickscope protocol check`; every
 * field's description carries its confidence and evidence sentence.
 */
export function draftDefinition(fields: readonly InferredField[], options: DraftDefinitionOptions = {}): ProtocolDefinition {
  const header: FieldDefinition[] = [];
  let position = 0;
  let gap = 0;
  const prefix = fields.find((field) => field.variableLength !== undefined);
  const frames = options.frames;
  const sorted = [...fields]
    .filter((field) => field.variableLength === undefined && field.name !== prefix?.variableLength?.countField && field.name !== prefix?.variableLength?.typeField)
    .filter((field) => frames === undefined || field.offset < frames.start)
    .sort((a, b) => a.offset - b.offset);
  if (prefix !== undefined) {
    header.push(
      { name: prefix.variableLength!.countField, type: "uint", bits: 4, max: 8, description: "inferred: number of sequence bytes that follow" },
      { name: prefix.variableLength!.typeField, type: "uint", bits: 4, role: "messageType", description: "inferred: packet type" },
      {
        name: prefix.name,
        type: "uint",
        byteLength: { field: prefix.variableLength!.countField },
        byteOrder: "little",
        role: "sequence",
        description: `inferred (confidence ${prefix.confidence.toFixed(2)}): ${prefix.sentence}`.slice(0, 400),
      },
    );
  } else if (options.selector !== undefined) {
    const { name, highBits } = options.selector;
    if (highBits === 8) header.push({ name, type: "u8", role: "messageType", description: "inferred: selects which header fields follow" });
    else header.push({ name, type: "uint", bits: highBits, description: "inferred: selects which header fields follow" }, { name: `${name}Rest`, type: "uint", bits: 8 - highBits });
    position = 1;
  }
  for (const field of sorted) {
    if (field.offset < position) continue; // overlapping (never produced by inference; kept safe)
    if (field.offset > position) {
      const unknown: FieldDefinition = { name: `unknown${gap++}`, type: "bytes", length: field.offset - position, description: "not inferred" };
      if (field.when !== undefined) unknown.when = { field: field.when.field, in: field.when.in };
      header.push(unknown);
    }
    header.push(fieldDefinition(field));
    position = field.offset + field.bytes;
  }
  const flow: MatchConditionDefinition[] = sorted
    .filter((field) => field.role === "magic" && field.constantValue !== undefined)
    .map((field) => ({ field: field.name, equals: field.constantValue!, description: `inferred magic ${shapeLabel(field)}` }));
  const unconditionalEnd = sorted.filter((field) => field.when === undefined).reduce((end, field) => Math.max(end, field.offset + field.bytes), options.selector === undefined ? 0 : 1);
  const definition: ProtocolDefinition = {
    name: options.name ?? "inferred",
    version: "0.1.0",
    description: "Drafted by tickscope protocol infer from captured datagrams: header fields found statistically (each with its confidence and evidence); the rest of each datagram is an opaque payload. Review before use.",
    byteOrder: "big",
    match: {
      description: "inferred: datagrams long enough for the header",
      excludePorts: [{ from: 0, to: 1023 }, 1900, 5353, 5355],
      ...(options.serverPorts !== undefined && options.serverPorts.length > 0 ? { ports: [...options.serverPorts] } : {}),
      ...(unconditionalEnd > 0 ? { minLength: unconditionalEnd } : {}),
      ...(flow.length > 0 ? { flow } : {}),
    },
    header,
    body: { repeat: "once", select: { message: "payload" } },
    messages: [{ name: "payload", reliable: false, fields: [{ name: "data", type: "bytes", length: "rest", maxLength: 65535 }] }],
  };
  if (frames !== undefined) {
    if (frames.start > position) header.push({ name: `unknown${gap++}`, type: "bytes", length: frames.start - position, description: "not inferred" });
    const lengthField = fields.find((field) => field.role === "length" && field.offset === frames.start + 1);
    const typeField: FieldDefinition = { name: "messageType", type: "u8", role: "messageType", description: "inferred: message type of the frame" };
    definition.match!.minLength = Math.max(definition.match!.minLength ?? 0, frames.start);
    if (frames.length !== undefined) {
      const length: FieldDefinition = { name: "length", ...integerType(frames.length.bytes), description: lengthField === undefined ? "inferred frame length" : `inferred (confidence ${lengthField.confidence.toFixed(2)}): bytes of the message after this frame header` };
      if (frames.length.bytes > 1) length.byteOrder = frames.length.littleEndian ? "little" : "big";
      definition.body = { repeat: "untilEnd", maxMessages: 64, frameHeader: [typeField, length], length: { field: "length" }, select: { message: "payload" } };
    } else {
      // self-delimiting messages: the first one's type, and the rest of the datagram as its body
      definition.body = { repeat: "once", frameHeader: [typeField], select: { message: "payload" } };
    }
    // the framed messages with an inferred field: one message per type, its fields at their body offsets
    const byType = new Map<number, { offset: number; bytes: number; field: FieldDefinition; description: string }[]>();
    const add = (type: number, offset: number, bytes: number, field: FieldDefinition, description: string) => {
      const list = byType.get(type) ?? [];
      if (list.some((other) => offset < other.offset + other.bytes && other.offset < offset + bytes)) return; // never overlap
      list.push({ offset, bytes, field, description });
      byType.set(type, list);
    };
    const echo = options.echo;
    if (echo !== undefined) {
      const order = echo.littleEndian ? "little" : "big";
      const description = `inferred (confidence ${echo.confidence.toFixed(2)}): ${echo.sentence}`;
      add(echo.requestType, echo.requestOffset, 4, { name: "echoRequestId", type: "u32", byteOrder: order, role: "echoId", echoPhase: "request" }, description);
      add(echo.replyType, echo.replyOffset, 4, { name: "echoReplyId", type: "u32", byteOrder: order, role: "echoId", echoPhase: "reply" }, description);
    }
    const reported = options.reportedRtt;
    if (reported !== undefined) {
      add(
        reported.messageType,
        reported.offset,
        reported.bytes,
        { name: "reportedRtt", ...integerType(reported.bytes), byteOrder: reported.littleEndian ? "little" : "big", role: "reportedRtt", unit: reported.unit },
        `inferred (confidence ${reported.confidence.toFixed(2)}): ${reported.sentence}`,
      );
    }
    if (byType.size > 0) {
      definition.body.select = { on: "messageType", cases: [], default: { message: "payload" } };
      for (const [type, list] of [...byType.entries()].sort((a, b) => a[0] - b[0])) {
        list.sort((a, b) => a.offset - b.offset);
        const messageFields: FieldDefinition[] = [];
        let at = 0;
        for (const entry of list) {
          if (entry.offset > at) messageFields.push({ name: `before${entry.offset}`, type: "bytes", length: entry.offset - at });
          messageFields.push(entry.field);
          at = entry.offset + entry.bytes;
        }
        messageFields.push({ name: "rest", type: "bytes", length: "rest", maxLength: 65535 });
        const name = `type${type}`;
        definition.body.select.cases!.push({ value: type, message: name });
        definition.messages.push({ name, reliable: false, description: [...new Set(list.map((entry) => entry.description))].join(" ").slice(0, 400), fields: messageFields });
      }
    }
  }
  return definition;
}
