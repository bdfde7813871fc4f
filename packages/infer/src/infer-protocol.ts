import { compileProtocol, validateProtocolDefinition, type ProtocolDefinition } from "@tickscope/core/protocol";
import { directionStreams, type DirectionStream } from "./direction-stream.js";
import { draftDefinition } from "./draft-definition.js";
import type { InferenceFlow } from "./inference-input.js";
import type { InferredField } from "./inferred-field.js";
import { inferLayout, type LayoutResult } from "./layout-inference.js";
import { inferPrefixSequence } from "./prefix-sequence.js";
import { inferFrameEcho, type FrameLayout, type InferredEcho } from "./frame-echo.js";
import { ackRttReferenceMsBySession, inferReportedRtt, type InferredReportedRtt } from "./reported-rtt.js";

/** Options of {@link inferProtocol}. */
export interface InferProtocolOptions {
  /** Definition name (default `inferred`). */
  name?: string;
  /** Server ports the flows were restricted to (recorded in the draft's `match.ports`). */
  serverPorts?: readonly number[];
  /** Datagrams used per session direction (the first ones; default 2000). */
  maxDatagramsPerDirection?: number;
  /**
   * Datagrams used in all (default 4000): each session keeps its first
   * `max(128, maxDatagrams / sessions)` (bounds the work on long captures).
   */
  maxDatagrams?: number;
  /** Candidate offsets 0 … maxOffset − 1 (default 48). */
  maxOffset?: number;
}

/** What inference found in a set of flows. */
export interface ProtocolInference {
  /** Whether a field that measures something was found (sequence, ack, ack bits, sender clock or length; a magic alone is not enough). */
  found: boolean;
  /** Header fields, by offset. */
  fields: InferredField[];
  /** The draft definition (valid: it passed validation and compiled); absent when nothing was found. */
  definition?: ProtocolDefinition;
  /** What was tested and not found, and other observations. */
  notes: string[];
  /** Sessions and datagrams looked at. */
  sessions: number;
  /** Datagrams looked at. */
  datagrams: number;
  /** Entropy of the bytes after the header, bits per byte (near 8: encrypted or compressed). */
  payloadEntropyBitsPerByte: number;
  /** Messages framed as type + length after the header, when a frame length was found. */
  frames?: FrameLayout;
  /** A ping/pong echo found in the framed messages. */
  echo?: InferredEcho;
  /** A reported RTT found in the framed messages. */
  reportedRtt?: InferredReportedRtt;
  /** A selector at byte 0 whose values gate the fields (e.g. RakNet's datagram flags), when the fields hold only for some values. */
  selector?: { name: string; highBits: number; values: number[] };
}

/** Roles that let an analysis measure something (sequence gaps, acks, clocks, lengths). */
const MEASURING_ROLES = new Set(["sequence", "ack", "ackBits", "sendTime", "length"]);

/** Ways to group datagrams by their first byte, cheapest bit fields included: the whole byte, its high nibble, its top bit. */
const GROUPINGS = [
  { highBits: 8, name: "messageType" },
  { highBits: 4, name: "typeNibble" },
  { highBits: 1, name: "datagramFlag" },
] as const;

function hasTimingField(layout: LayoutResult): boolean {
  return layout.fields.some((field) => field.role === "sequence" || field.role === "sendTime" || field.role === "ack");
}

/**
 * When no field holds for every datagram, fields may hold for one kind of
 * datagram only (RakNet: sequence only in data datagrams). Groups datagrams
 * by the first byte (or its high nibble, or its top bit) and infers each
 * group; the groups with the same timing fields are merged.
 */
function inferGrouped(flows: readonly InferenceFlow[], options: InferProtocolOptions): { fields: InferredField[]; selector: { name: string; highBits: number; values: number[] }; notes: string[] } | undefined {
  let best: { fields: InferredField[]; selector: { name: string; highBits: number; values: number[] }; covered: number; notes: string[] } | undefined;
  for (const grouping of GROUPINGS) {
    const keyOf = (payload: Uint8Array) => (payload.length === 0 ? -1 : payload[0]! >> (8 - grouping.highBits));
    const counts = new Map<number, number>();
    for (const flow of flows) for (const datagram of flow.datagrams) counts.set(keyOf(datagram.payload), (counts.get(keyOf(datagram.payload)) ?? 0) + 1);
    counts.delete(-1);
    if (counts.size < 2 || counts.size > 16) continue;
    const found = new Map<string, { fields: InferredField[]; values: number[]; covered: number }>();
    for (const [value, count] of counts) {
      if (count < 8) continue;
      const layout = inferLayout(directionStreams(flows, (payload) => payload.length > 0 && keyOf(payload) === value), { maxOffset: options.maxOffset });
      const timing = layout.fields.filter((field) => field.offset >= 1 && field.role !== "messageType" && field.role !== "magic" && field.role !== "constant");
      if (!timing.some((field) => field.role === "sequence" || field.role === "sendTime")) continue;
      const key = JSON.stringify(timing.map((field) => [field.role, field.offset, field.bytes, field.littleEndian]));
      const entry = found.get(key) ?? { fields: timing, values: [], covered: 0 };
      entry.values.push(value);
      entry.covered += count;
      found.set(key, entry);
    }
    for (const entry of found.values()) {
      if (best === undefined || entry.covered > best.covered) {
        const values = entry.values.sort((a, b) => a - b);
        const fields = entry.fields.map((field) => ({ ...field, when: { field: grouping.name, in: values } }));
        best = {
          fields,
          covered: entry.covered,
          selector: { name: grouping.name, highBits: grouping.highBits, values },
          notes: [`fields hold only in datagrams whose ${grouping.highBits === 8 ? "first byte" : grouping.highBits === 4 ? "first byte's high nibble" : "first byte's top bit"} is ${values.join(", ")} (${entry.covered} datagrams)`],
        };
      }
    }
  }
  return best === undefined ? undefined : { fields: best.fields, selector: best.selector, notes: best.notes };
}

/**
 * A capture often holds several protocols (a game beside STUN, DNS, a
 * launcher). When at least two sessions start every datagram with the same
 * four bytes (a magic) and they carry at least 40 % of the datagrams, only
 * those sessions are inferred from; the others are named in a note.
 */
function sharedMagicGroup(flows: readonly InferenceFlow[]): { flows: InferenceFlow[]; note: string } | undefined {
  const groups = new Map<string, InferenceFlow[]>();
  let total = 0;
  for (const flow of flows) {
    total += flow.datagrams.length;
    const first = flow.datagrams[0]?.payload;
    if (first === undefined || first.length < 4 || flow.datagrams.length < 2) continue;
    const signature = Array.from(first.subarray(0, 4), (byte) => byte.toString(16).padStart(2, "0")).join("");
    const matching = flow.datagrams.filter((datagram) => datagram.payload.length >= 4 && datagram.payload[0] === first[0] && datagram.payload[1] === first[1] && datagram.payload[2] === first[2] && datagram.payload[3] === first[3]).length;
    if (matching < 0.95 * flow.datagrams.length) continue;
    groups.set(signature, [...(groups.get(signature) ?? []), flow]);
  }
  let best: [string, InferenceFlow[]] | undefined;
  const size = (group: InferenceFlow[]) => group.reduce((sum, flow) => sum + flow.datagrams.length, 0);
  for (const entry of groups) if (entry[1].length >= 2 && (best === undefined || size(entry[1]) > size(best[1]))) best = entry;
  if (best === undefined || best[1].length === flows.length || size(best[1]) < 0.4 * total) return undefined;
  return {
    flows: best[1],
    note: `inferred from the ${best[1].length} sessions whose datagrams all start with 0x${best[0]} (${size(best[1])} of ${total} datagrams); ${flows.length - best[1].length} other session(s) look like other protocols and were left out`,
  };
}

/**
 * Infers a draft protocol definition from sampled flows (see
 * `InferenceCollector`): header fields found statistically per direction
 * over candidate offsets × widths × byte orders, each kept only when random
 * bytes would pass its test with a probability below 10^−9. Hostile input
 * (random bytes, constant payloads, single datagrams, encrypted noise) gives
 * `found: false` with the evidence in `notes`.
 */
export function inferProtocol(flows: readonly InferenceFlow[], options: InferProtocolOptions = {}): ProtocolInference {
  // the first datagrams of each session (both directions together, so their time spans match)
  const perSession = Math.min(2 * (options.maxDatagramsPerDirection ?? 2000), Math.max(128, Math.floor((options.maxDatagrams ?? 4000) / Math.max(1, flows.length))));
  const bounded = flows.map((flow) => ({ ...flow, datagrams: flow.datagrams.slice(0, perSession) }));
  const shared = sharedMagicGroup(bounded);
  const used = shared?.flows ?? bounded;
  const streams: DirectionStream[] = directionStreams(used);
  const datagrams = streams.reduce((sum, stream) => sum + stream.payloads.length, 0);
  const sessions = new Set(streams.map((stream) => stream.sessionId)).size;
  const base = { sessions, datagrams };
  if (datagrams === 0) return { ...base, found: false, fields: [], notes: ["no UDP datagrams to infer from"], payloadEntropyBitsPerByte: 0 };
  const layout = inferLayout(streams, { maxOffset: options.maxOffset });
  let fields = layout.fields;
  const notes = [...layout.notes];
  if (shared !== undefined) notes.push(shared.note);
  let selector: ProtocolInference["selector"];
  const prefix = layout.fields.some((field) => field.role === "sequence" && field.offset > 1) ? undefined : inferPrefixSequence(streams);
  if (prefix !== undefined && (prefix.byteCounts > 1 || !hasTimingField(layout))) {
    fields = prefix.fields;
    notes.length = 0;
    notes.push("a prefix byte (sequence byte count, packet type) and a variable-length little-endian sequence, as in netcode");
  } else if (!hasTimingField(layout)) {
    const grouped = inferGrouped(used, options);
    if (grouped !== undefined) {
      fields = grouped.fields;
      selector = grouped.selector;
      notes.length = 0;
      notes.push(...grouped.notes);
    }
  }
  // found: a field that measures something (a magic or a type byte alone decodes no timing)
  const found = fields.some((field) => MEASURING_ROLES.has(field.role));
  const entropy = layout.entropyBitsPerByte;
  if (layout.entropyBytes >= 256 && entropy >= 7.5) notes.push(`the bytes after the header look encrypted or compressed (${entropy.toFixed(2)} bits of entropy per byte over ${layout.entropyBytes} bytes)`);
  if (!found) {
    if (fields.length > 0) notes.push(`only ${fields.map((field) => `${field.role} @${field.offset}`).join(", ")}: no sequence, ack, clock or length to measure with`);
    return { ...base, found: false, fields, notes, payloadEntropyBitsPerByte: entropy, ...(selector === undefined ? {} : { selector }) };
  }
  // a frame length right after a free byte: messages framed as type + length, where a ping/pong may hide
  let frames: FrameLayout | undefined;
  let echo: InferredEcho | undefined;
  let reportedRtt: InferredReportedRtt | undefined;
  const frameLength = fields.find((field) => field.role === "length" && field.lengthOffset === field.offset + field.bytes && field.when === undefined);
  const typeByte = fields.find((field) => field.role === "messageType" && field.when === undefined && field.offset > 0 && field.offset === fields.filter((other) => other !== field).reduce((end, other) => Math.max(end, other.offset + other.bytes), 0));
  if (frameLength !== undefined && frameLength.offset >= 1 && !fields.some((field) => field !== frameLength && field.role !== "messageType" && field.offset <= frameLength.offset - 1 && field.offset + field.bytes > frameLength.offset - 1)) {
    frames = { start: frameLength.offset - 1, length: { bytes: frameLength.bytes, littleEndian: frameLength.littleEndian } };
  } else if (typeByte !== undefined) {
    // self-delimiting messages after the header: only the first one (type byte, then its body to the datagram end) can be read
    frames = { start: typeByte.offset };
  }
  if (frames !== undefined) {
    const layoutOfFrames = frames;
    fields = fields.filter((field) => field.offset < layoutOfFrames.start || field === frameLength);
    echo = inferFrameEcho(streams, layoutOfFrames);
    notes.push(
      `${layoutOfFrames.length === undefined ? `the first message after the header starts with a type byte @${layoutOfFrames.start}` : `messages are framed as a type byte @${layoutOfFrames.start} and a ${layoutOfFrames.length.bytes * 8}-bit length of the bytes after it`}${echo === undefined ? "" : `; ${echo.sentence}`}`,
    );
    const sequenceField = fields.find((field) => field.role === "sequence" && field.when === undefined);
    const ackField = fields.find((field) => field.role === "ack" && field.when === undefined);
    if (sequenceField !== undefined && ackField !== undefined) {
      reportedRtt = inferReportedRtt(streams, layoutOfFrames, ackRttReferenceMsBySession(streams, sequenceField, ackField));
      if (reportedRtt !== undefined) notes.push(reportedRtt.sentence);
    }
  }
  const definition = validateProtocolDefinition(draftDefinition(fields, { name: options.name, serverPorts: options.serverPorts, selector, frames, echo, reportedRtt }));
  compileProtocol(definition); // a draft that does not compile is a bug: let it throw
  return {
    ...base,
    found,
    fields,
    definition,
    notes,
    payloadEntropyBitsPerByte: entropy,
    ...(selector === undefined ? {} : { selector }),
    ...(frames === undefined ? {} : { frames }),
    ...(echo === undefined ? {} : { echo }),
    ...(reportedRtt === undefined ? {} : { reportedRtt }),
  };
}
