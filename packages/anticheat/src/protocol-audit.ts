import type { Severity } from "@tickscope/core";
import type { AuditFinding } from "./anticheat-report.js";

type PlainObject = Record<string, unknown>;

const MAX_DEPTH = 32;
const MAX_NODES = 100_000;
const MAX_LENGTH_FINDINGS = 20;
const AUTH_PLUGIN = /aead|mac|hmac|auth|sign|crypt/i;
const CLIENT_SENT = /client\s*(->|→|to)\s*server|sent by the client|from the client/i;
const SERVER_SENT = /server\s*(->|→|to)\s*client|sent by the server/i;
const HIT_FIELD = /hit|damage|kill|victim|health|score|headshot/i;

function isObject(value: unknown): value is PlainObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

interface FieldVisit {
  path: string;
  field: PlainObject;
}

/** Walks every field under `fields`, following arrays, switches and `ref`s (bounded against hostile definitions). */
function walkFields(fields: unknown, types: PlainObject, path: string, visit: (entry: FieldVisit) => void): void {
  let nodes = 0;
  const walk = (value: unknown, at: string, depth: number, refs: ReadonlySet<string>): void => {
    if (!isObject(value) || depth > MAX_DEPTH || ++nodes > MAX_NODES) return;
    const name = typeof value.name === "string" ? value.name : "";
    const here = name === "" ? at : at === "" ? name : `${at}.${name}`;
    visit({ path: here, field: value });
    for (const child of list(value.fields)) walk(child, here, depth + 1, refs);
    if (value.of !== undefined) walk(value.of, `${here}[]`, depth + 1, refs);
    for (const branch of list(value.cases)) if (isObject(branch)) for (const child of list(branch.fields)) walk(child, here, depth + 1, refs);
    if (isObject(value.default)) for (const child of list(value.default.fields)) walk(child, here, depth + 1, refs);
    if (value.type === "ref" && typeof value.ref === "string" && !refs.has(value.ref)) {
      const next = new Set(refs).add(value.ref);
      walk(types[value.ref], here, depth + 1, next);
    }
  };
  for (const field of list(fields)) walk(field, path, 0, new Set());
}

/** Collects every transform of the definition (top level and every body, recursively). */
function collectTransforms(definition: PlainObject): PlainObject[] {
  const transforms: PlainObject[] = [];
  for (const transform of list(definition.transforms)) if (isObject(transform)) transforms.push(transform);
  const walkBody = (body: unknown, depth: number): void => {
    if (!isObject(body) || depth > MAX_DEPTH) return;
    for (const transform of list(body.transforms)) if (isObject(transform)) transforms.push(transform);
    for (const branch of list(body.cases)) if (isObject(branch)) walkBody(branch.body, depth + 1);
    walkBody(body.default, depth + 1);
  };
  walkBody(definition.body, 0);
  return transforms;
}

function hasKey(value: unknown, pattern: RegExp, depth = 0): boolean {
  if (depth > MAX_DEPTH || typeof value !== "object" || value === null) return false;
  for (const [key, child] of Object.entries(value)) {
    if (pattern.test(key) || hasKey(child, pattern, depth + 1)) return true;
  }
  return false;
}

/** Every field of the definition's bodies (header, frame headers) and messages, with the message name. */
interface ProtocolFields {
  header: FieldVisit[];
  messages: Map<string, { description: string; fields: FieldVisit[] }>;
  frames: FieldVisit[];
}

function collectFields(definition: PlainObject): ProtocolFields {
  const types = isObject(definition.types) ? definition.types : {};
  const header: FieldVisit[] = [];
  walkFields(definition.header, types, "header", (entry) => header.push(entry));
  const frames: FieldVisit[] = [];
  const walkBody = (body: unknown, depth: number): void => {
    if (!isObject(body) || depth > MAX_DEPTH) return;
    walkFields(body.frameHeader, types, "frame", (entry) => frames.push(entry));
    for (const branch of list(body.cases)) if (isObject(branch)) walkBody(branch.body, depth + 1);
    walkBody(body.default, depth + 1);
  };
  walkBody(definition.body, 0);
  const messages = new Map<string, { description: string; fields: FieldVisit[] }>();
  for (const message of list(definition.messages)) {
    if (!isObject(message) || typeof message.name !== "string") continue;
    const fields: FieldVisit[] = [];
    walkFields(message.fields, types, message.name, (entry) => fields.push(entry));
    messages.set(message.name, { description: typeof message.description === "string" ? message.description : "", fields });
  }
  return { header, messages, frames };
}

function isClientSent(description: string, fields: readonly FieldVisit[]): boolean {
  if (CLIENT_SENT.test(description)) return true;
  if (SERVER_SENT.test(description)) return false;
  return fields.some((entry) => entry.field.role === "inputSequence" || entry.field.role === "targetTime" || entry.field.role === "reportedRtt");
}

function unboundedLength(field: PlainObject): string | undefined {
  if (field.type === "array") {
    const count = field.count;
    if (typeof count === "number") return undefined;
    if (field.maxCount === undefined) return `array count ${JSON.stringify(count ?? "unspecified")} has no maxCount`;
  }
  if (field.type === "bytes" || field.type === "string") {
    const length = field.length;
    if (typeof length === "number") return undefined;
    if (field.maxLength === undefined) return `${field.type} length ${JSON.stringify(length ?? "unspecified")} has no maxLength`;
  }
  return undefined;
}

/**
 * Static audit of a protocol definition (a plain object in the
 * `@tickscope/core/protocol` language): where the protocol itself invites
 * cheating. Checks: no MAC/AEAD authentication, no authenticated sequence
 * (replays undetectable), client-authoritative fields (positions, hit
 * results, rewind targets, reported latency), unbounded lengths, no declared
 * rate limits. Each finding names the exploit and the fix. Never throws: a
 * non-object input yields one finding saying so.
 */
export function auditProtocol(definition: unknown): AuditFinding[] {
  const findings: AuditFinding[] = [];
  const add = (id: string, severity: Severity, title: string, exploit: string, fix: string, location?: string): void => {
    findings.push(location === undefined ? { id, severity, title, exploit, fix } : { id, severity, title, exploit, fix, location });
  };
  if (!isObject(definition)) {
    add("audit.notADefinition", "info", "Not a protocol definition object", "Nothing can be audited.", "Pass the parsed definition JSON object.");
    return findings;
  }
  const transforms = collectTransforms(definition);
  const aead = transforms.filter((transform) => transform.kind === "aead");
  const authPlugins = transforms.filter((transform) => transform.kind === "plugin" && typeof transform.plugin === "string" && AUTH_PLUGIN.test(transform.plugin));
  const xor = transforms.filter((transform) => transform.kind === "xor");
  const { header, messages, frames } = collectFields(definition);
  const allFields: FieldVisit[] = [...header, ...frames];
  for (const message of messages.values()) allFields.push(...message.fields);
  const macField = allFields.find((entry) => entry.field.role === "mac");
  const authenticated = aead.length > 0 || authPlugins.length > 0 || macField !== undefined;

  if (!authenticated) {
    const obfuscation = xor.length > 0 ? " The XOR obfuscation it has is keyed by a header field and is not authentication." : "";
    const checksum = allFields.some((entry) => entry.field.role === "checksum") ? " Its checksum can be recomputed by anyone." : "";
    add(
      "audit.noAuthentication",
      "critical",
      "No MAC or AEAD authentication",
      `Anyone on the path (or a modified client) can forge, edit and replay packets undetected: fake positions, shots or hit results, spoof another player's session.${obfuscation}${checksum}`,
      "Encrypt and authenticate every datagram after the handshake with an AEAD (ChaCha20-Poly1305 / AES-GCM) and per-session, per-direction keys; put the sequence number in the nonce and the header in the associated data.",
    );
  }

  const sequenceFields = allFields.filter((entry) => entry.field.role === "sequence");
  const nonceFields = new Set<string>();
  for (const transform of aead) for (const part of list(transform.nonce)) if (isObject(part) && typeof part.field === "string") nonceFields.add(part.field);
  const sequenceAuthenticated = sequenceFields.some((entry) => typeof entry.field.name === "string" && nonceFields.has(entry.field.name)) || (macField !== undefined && sequenceFields.length > 0);
  if (sequenceFields.length === 0) {
    add(
      "audit.noReplayWindow",
      "high",
      "No sequence number: replays cannot be detected",
      "A captured packet (a shot, a purchase, a command) can be re-sent any number of times and the server cannot tell.",
      "Add a per-direction sequence number, authenticate it (AEAD nonce), and keep a replay window (bitmask of the last 64–256 sequences) on the server.",
    );
  } else if (!sequenceAuthenticated) {
    add(
      "audit.noReplayWindow",
      "high",
      "Sequence number is not authenticated: no reliable replay window",
      "An attacker re-sends old packets with fresh sequence numbers (or reuses a sequence with an edited payload); a replay window on an unauthenticated sequence only stops honest duplicates.",
      "Authenticate the sequence (use it as the AEAD nonce) and drop repeated or too-old sequences with a per-session replay window.",
      sequenceFields[0]!.path,
    );
  }

  for (const name of [...messages.keys()].sort()) {
    const message = messages.get(name)!;
    if (!isClientSent(message.description, message.fields)) continue;
    const position = message.fields.find((entry) => typeof entry.field.role === "string" && (entry.field.role as string).startsWith("position."));
    if (position !== undefined) {
      add(
        "audit.clientAuthoritativePosition",
        "high",
        `Client sends its own position (${name})`,
        "If the server trusts it, a client teleports or moves faster than allowed (speed hack, noclip) by writing positions.",
        "Simulate movement on the server from inputs; treat client positions as hints, validate speed and collisions, and correct the client.",
        position.path,
      );
    }
    const hit = message.fields.find((entry) => typeof entry.field.name === "string" && HIT_FIELD.test(entry.field.name as string));
    if (hit !== undefined) {
      add(
        "audit.clientAuthoritativeHit",
        "critical",
        `Client reports hit results (${hit.path})`,
        "A modified client claims hits, damage or kills it never earned (aimbot without aiming, one-shot kills).",
        "Resolve hits on the server (lag-compensated raycast from the shot's origin and direction); never accept hit or damage values from the client.",
        hit.path,
      );
    }
    const target = message.fields.find((entry) => entry.field.role === "targetTime");
    if (target !== undefined) {
      add(
        "audit.clientRewindRequest",
        "medium",
        `Client chooses the lag-compensation rewind time (${name})`,
        "A client asks for rewinds far into the past (backtracking) to hit where enemies were, or fakes latency to widen its window.",
        "Clamp the rewind to min(compensation window, measured RTT + interpolation delay + margin), computed on the server.",
        target.path,
      );
    }
    const reported = message.fields.find((entry) => entry.field.role === "reportedRtt");
    if (reported !== undefined) {
      add(
        "audit.clientReportedLatency",
        "medium",
        `Client reports its own latency (${name})`,
        "A client inflates its reported RTT to get more lag compensation (fake latency).",
        "Measure RTT on the server (ping/pong, ack timing) and use only the measured value for compensation.",
        reported.path,
      );
    }
  }

  let lengthFindings = 0;
  const body = isObject(definition.body) ? definition.body : {};
  if (body.repeat === "untilEnd" && body.maxMessages === undefined) {
    add("audit.unboundedLength", "medium", "Messages per datagram are unbounded", "A crafted datagram with thousands of tiny messages multiplies server work (amplified CPU use).", "Set body.maxMessages and reject datagrams beyond it.", "body");
    lengthFindings += 1;
  }
  for (const entry of allFields) {
    const problem = unboundedLength(entry.field);
    if (problem === undefined || lengthFindings >= MAX_LENGTH_FINDINGS) continue;
    lengthFindings += 1;
    add(
      "audit.unboundedLength",
      "medium",
      `Unbounded length at ${entry.path}`,
      `The ${problem}: a client can send oversized values that allocate server memory or CPU without bound.`,
      "Declare maxCount / maxLength on every variable-length field and drop packets that exceed them.",
      entry.path,
    );
  }

  if (!hasKey(definition, /rate/i)) {
    add(
      "audit.noRateLimit",
      "low",
      "No declared rate limits",
      "Nothing in the protocol bounds how many commands or messages a client may send per tick: input flooding and speedhacks (more commands than time allows) go through if the server does not count.",
      "Enforce a server-side budget: at most the tick rate (plus a small burst) of commands per second per client, token bucket per connection.",
    );
  }

  const order: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
  findings.sort((a, b) => order[a.severity] - order[b.severity] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) || ((a.location ?? "") < (b.location ?? "") ? -1 : 1));
  return findings;
}
