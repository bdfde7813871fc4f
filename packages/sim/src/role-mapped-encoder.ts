import { ErrorCode, TickscopeError, type Direction, type FieldRecord, type FieldValue } from "@tickscope/core";
import { compileProtocol, type CompiledProtocol, type FieldDefinition, type MessageToEncode, type ProtocolDefinition } from "@tickscope/core/protocol";
import type { ArenaDatagram, ArenaEntityState, ArenaInputFrame, ArenaMessage, DatagramEncoder, DatagramStream } from "./arena-types.js";

/** A {@link DatagramEncoder} that writes the simulator's datagrams through any definition whose roles suffice. */
export interface RoleMappedEncoder extends DatagramEncoder {
  /** The compiled protocol (also decodes the bytes it writes). */
  readonly protocol: CompiledProtocol;
  /** Simulator message types this definition has no message for (left off the wire), e.g. `chat`. */
  readonly droppedMessageTypes: readonly string[];
}

type SimulatorKind = ArenaMessage["type"];
type Resolved = FieldDefinition & { type: Exclude<FieldDefinition["type"], "ref"> };

/** Which fields of which definition message carry one simulator message kind. */
interface Target {
  /** Definition message name. */
  message: string;
  /** Channel of the message (per-channel sequences), when the definition gives one. */
  channel: number | undefined;
  /** The definition marks the message reliable. */
  reliable: boolean;
}

/** Per (player, direction) encoder state. */
interface StreamState {
  /** Last 16-bit simulator sequence and its extension. */
  last16: number;
  extended: number;
  started: boolean;
  /** Per-channel message sequence counters (per-channel mode). */
  channelNext: Map<number, number>;
  /** Reliable message (channel:eventId) -> its channel sequence, so resends repeat it. */
  reliableSequences: Map<string, number>;
  /** Datagram sequence & 255 -> the channel sequences it carried (per-channel mode). */
  carried: { sequence16: number; entries: number[] }[];
  /** What this side has received per channel: latest sequence and 32 ack bits. */
  received: Map<number, [number, number]>;
  /** Last input message sent (a shot sent alone re-sends it when both share one definition message). */
  lastInput: ArenaMessage | undefined;
  /** Ping id -> the echoTime value written into that ping. */
  pingEchoes: Map<number, FieldValue>;
}

const TWO_POW_63 = 2n ** 63n;
/** A 64-bit sequence space starts this far below 2^63 (netcode starts at 1 << 63): it crosses 2^63 within the first seconds. */
const SEQUENCE_64_START_BELOW_2_63 = 200n;
const UNIT_US: Record<string, number> = { ns: 0.001, us: 1, ms: 1000, s: 1_000_000 };
const ENTITY_ROLES = new Set(["entityId", "position.x", "position.y", "position.z", "rotation", "velocity.x", "velocity.y", "velocity.z"]);
const EVENT_KINDS: readonly SimulatorKind[] = ["spawn", "death", "chat", "stateReset"];

function fieldBits(field: Resolved): number {
  const match = /^[ui](\d+)$/.exec(field.type);
  if (match !== null) return Number(match[1]);
  if (field.type === "uint" || field.type === "int") return field.bits ?? 32;
  if (field.type === "varint") return 64;
  return 53;
}

function stringHash(text: string): number {
  let hash = 2166136261;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 16777619) >>> 0;
  return hash;
}

/** Updates a (latest, 32 ack bits) receive state with a 16-bit sequence. */
function receive(state: [number, number] | undefined, sequence: number): [number, number] {
  if (state === undefined) return [sequence, 0];
  const [latest, bits] = state;
  const difference = (sequence - latest) & 0xffff;
  if (difference === 0) return state;
  if (difference < 0x8000) {
    if (difference > 32) return [sequence, 0];
    if (difference === 32) return [sequence, 0x80000000];
    return [sequence, ((bits << difference) | (1 << (difference - 1))) >>> 0];
  }
  const back = (latest - sequence) & 0xffff;
  return back <= 32 ? [latest, (bits | (1 << (back - 1))) >>> 0] : state;
}

/**
 * Compiles `definition` and maps the simulator's abstract messages onto its
 * messages by their roles: inputs (`inputSequence`), snapshots (an array of
 * entities: `entityId`, `position.*`), shots (`targetTime`), pings and pongs
 * (`echoId`/`echoTime` with `echoPhase`), and the datagram roles `sequence`,
 * `ack`, `ackBits` and `sendTime` (in the header, the frame header, or a
 * control message sent in every datagram, one per acknowledged channel when it
 * has an `ackChannel` field). Reliable events (spawn, death, chat, stateReset)
 * go to the message of the same name, or are left off the wire.
 *
 * Clock fields are written in their own unit and width; a clock of 32 bits or
 * fewer starts from a per-clock origin a few seconds before it wraps, a tick
 * clock (`ticksPerSecond`) from a random origin. Sequences wider than 16 bits
 * are extended per stream; 64-bit ones start just below 2^63. Fields without a
 * role take the simulator field of the same name, else their single enum
 * value, their minimum, or zero. Deterministic: the same datagrams give the
 * same bytes.
 *
 * The encoder keeps per-stream state (sequence extension, clock origins,
 * per-channel numbering): use one encoder per match.
 *
 * Throws `E_PROTOCOL_UNSUPPORTED` naming every missing role at once when the
 * definition cannot carry a match, and `E_DEFINITION_INVALID` when it is not a
 * valid definition.
 */
export function createRoleMappedEncoder(definition: unknown, mode: "compiled" | "interpreted" = "compiled"): RoleMappedEncoder {
  const protocol = compileProtocol(definition, { mode });
  return new RoleMapping(definition as ProtocolDefinition, protocol);
}

class RoleMapping implements RoleMappedEncoder {
  readonly protocol: CompiledProtocol;
  readonly droppedMessageTypes: string[] = [];
  private readonly definition: ProtocolDefinition;
  private readonly messages = new Map<string, ProtocolDefinition["messages"][number]>();
  private readonly targets = new Map<SimulatorKind, Target>();
  private readonly computedNames = new Set<string>();
  private readonly headerFields: FieldDefinition[];
  private readonly frameHeader: FieldDefinition[];
  private readonly control: Target | undefined;
  private readonly controlPerChannel: boolean;
  private readonly perChannel: boolean;
  private readonly streams = new Map<string, StreamState>();
  private readonly clockOrigins = new Map<string, number>();

  constructor(definition: ProtocolDefinition, protocol: CompiledProtocol) {
    this.definition = definition;
    this.protocol = protocol;
    for (const message of definition.messages) this.messages.set(message.name, message);
    const body = this.singleBody();
    this.headerFields = definition.header ?? [];
    this.frameHeader = body.frameHeader ?? [];
    if (body.length !== undefined) this.computedNames.add(body.length.field);
    const channels = this.channelsOfMessages(body);
    const missing: string[] = [];
    if (body.repeat !== "untilEnd" && body.count === undefined) missing.push('body.repeat "untilEnd" or a header count (several messages per datagram)');
    if ((definition.transforms ?? []).some((transform) => transform.kind !== "aead" || transform.keys === undefined)) {
      missing.push("inline keys for every transform (an AEAD transform with `keys`; no plugin transforms)");
    }
    const find = (predicate: (roles: Set<string>, message: ProtocolDefinition["messages"][number]) => boolean): string | undefined =>
      definition.messages.find((message) => predicate(this.rolesOf(message.fields), message))?.name;
    const entityArray = (fields: FieldDefinition[]): boolean => fields.some((field) => this.entityArrayOf(field) !== undefined);
    const assign = (kind: SimulatorKind, name: string | undefined, need: string): void => {
      if (name === undefined) {
        missing.push(need);
        return;
      }
      const message = this.messages.get(name)!;
      this.targets.set(kind, { message: name, channel: channels.get(name) ?? (typeof message.channel === "number" ? message.channel : undefined), reliable: message.reliable === true });
    };
    const echo = (phase: "request" | "reply") =>
      find((roles, message) =>
        message.fields.some((field) => this.someField(field, (leaf) => (leaf.role === "echoId" || leaf.role === "echoTime") && (leaf.echoPhase ?? "request") === phase)),
      );
    assign("input", find((roles) => roles.has("inputSequence")), "inputSequence (an input message)");
    assign("snapshot", definition.messages.find((message) => entityArray(message.fields))?.name, "an array of entities (entityId, position.x) in a snapshot message");
    assign("shot", find((roles) => roles.has("targetTime")), "targetTime (a shot message)");
    assign("ping", echo("request"), "echoId or echoTime with echoPhase request (a ping message)");
    assign("pong", echo("reply"), "echoId or echoTime with echoPhase reply (a pong message)");
    for (const kind of EVENT_KINDS) {
      if (this.messages.has(kind)) assign(kind, kind, kind);
      else this.droppedMessageTypes.push(kind);
    }
    const headerRoles = this.rolesOf(this.headerFields);
    const frameRoles = this.rolesOf(this.frameHeader);
    this.perChannel = !headerRoles.has("sequence") && frameRoles.has("sequence");
    const controlName = headerRoles.has("ack") || frameRoles.has("ack") ? undefined : find((roles) => roles.has("ack"));
    this.control = undefined;
    this.controlPerChannel = false;
    if (controlName !== undefined) {
      const message = this.messages.get(controlName)!;
      this.control = { message: controlName, channel: channels.get(controlName) ?? (typeof message.channel === "number" ? message.channel : undefined), reliable: false };
      this.controlPerChannel = this.rolesOf(message.fields).has("ackChannel");
    }
    const datagramRoles = new Set([...headerRoles, ...frameRoles, ...(controlName === undefined ? [] : this.rolesOf(this.messages.get(controlName)!.fields))]);
    for (const role of ["sequence", "ack", "sendTime"]) if (!datagramRoles.has(role)) missing.push(`${role} (datagram header, frame header or a control message)`);
    if (this.perChannel && !this.controlPerChannel) missing.push("ackChannel on the ack message (per-channel sequences need per-channel acks)");
    if (missing.length > 0) {
      throw new TickscopeError(ErrorCode.protocolUnsupported, `protocol ${definition.name} cannot carry a simulated match; missing: ${missing.join("; ")}`, {
        hint: "add the missing roles to the definition (see examples/protocols/README.md, 'Simulating through a definition')",
      });
    }
  }

  // ------------------------------------------------------------ definition walking
  private singleBody(): NonNullable<ProtocolDefinition["body"]> {
    const body = this.definition.body;
    if (body.switch !== undefined) {
      throw new TickscopeError(ErrorCode.protocolUnsupported, `protocol ${this.definition.name} cannot carry a simulated match; missing: a single body (no body switch)`, {
        hint: "simulate through a definition with one body",
      });
    }
    return body;
  }

  private resolve(field: FieldDefinition): Resolved {
    let current = field;
    for (let depth = 0; current.type === "ref" && depth < 32; depth++) {
      const named = this.definition.types?.[current.ref ?? ""];
      if (named === undefined) break;
      current = { ...named, ...(current.name === undefined ? {} : { name: current.name }), ...(current.when === undefined ? {} : { when: current.when }), ...(current.role === undefined ? {} : { role: current.role }) };
    }
    return current as Resolved;
  }

  private someField(field: FieldDefinition, predicate: (leaf: Resolved) => boolean, depth = 0): boolean {
    const resolved = this.resolve(field);
    if (predicate(resolved)) return true;
    if (depth > 16) return false;
    if (resolved.fields !== undefined && resolved.fields.some((child) => this.someField(child, predicate, depth + 1))) return true;
    return resolved.of !== undefined && this.someField(resolved.of, predicate, depth + 1);
  }

  private rolesOf(fields: readonly FieldDefinition[]): Set<string> {
    const roles = new Set<string>();
    for (const field of fields) this.someField(field, (leaf) => (leaf.role !== undefined && roles.add(leaf.role), false));
    return roles;
  }

  /** The element type when `field` is an array of entities. */
  private entityArrayOf(field: FieldDefinition): Resolved | undefined {
    const resolved = this.resolve(field);
    if (resolved.type !== "array" || resolved.of === undefined) return undefined;
    const element = this.resolve(resolved.of);
    const roles = this.rolesOf(element.fields ?? [element]);
    return roles.has("entityId") && roles.has("position.x") ? element : undefined;
  }

  /** Channel number of each message reached through a select on a `channel`-role frame-header field. */
  private channelsOfMessages(body: NonNullable<ProtocolDefinition["body"]>): Map<string, number> {
    const result = new Map<string, number>();
    const channelField = [...(this.definition.header ?? []), ...(body.frameHeader ?? [])].find((field) => field.role === "channel")?.name;
    const walk = (select: NonNullable<typeof body.select> | undefined, channel: number | undefined): void => {
      if (select === undefined) return;
      if (select.on !== undefined) this.computedNames.add(select.on);
      for (const field of select.prefix ?? []) if (field.name !== undefined && field.role === "messageType") this.computedNames.add(field.name);
      if (select.message !== undefined && channel !== undefined) result.set(select.message, channel);
      for (const entry of select.cases ?? []) {
        const value = select.on === channelField && typeof entry.value === "number" ? entry.value : channel;
        if (entry.message !== undefined && value !== undefined) result.set(entry.message, value);
        walk(entry.select, value);
      }
      walk(select.default, channel);
    };
    walk(body.select, undefined);
    return result;
  }

  // ------------------------------------------------------------ state
  private stream(stream: DatagramStream | undefined, direction: Direction): StreamState {
    const key = `${stream?.playerId ?? 0}:${direction}`;
    let state = this.streams.get(key);
    if (state === undefined) {
      state = { last16: 0, extended: 0, started: false, channelNext: new Map(), reliableSequences: new Map(), carried: [], received: new Map(), lastInput: undefined, pingEchoes: new Map() };
      this.streams.set(key, state);
    }
    return state;
  }

  private extendSequence(state: StreamState, sequence16: number): number {
    if (!state.started) {
      state.started = true;
      state.last16 = sequence16;
      state.extended = sequence16;
      return sequence16;
    }
    const forward = (sequence16 - state.last16) & 0xffff;
    state.extended += forward < 0x8000 ? forward : forward - 0x10000;
    state.last16 = sequence16;
    return state.extended;
  }

  private sequenceValue(field: Resolved, extended: number, sequence16: number): FieldValue {
    const bits = fieldBits(field);
    if (bits <= 16) return sequence16 & (2 ** bits - 1);
    if (bits >= 63) return TWO_POW_63 - SEQUENCE_64_START_BELOW_2_63 + BigInt(extended);
    return extended >= 0 ? extended % 2 ** bits : 2 ** bits + (extended % 2 ** bits);
  }

  private timeValue(field: Resolved, clockUs: number, clockKey: string): FieldValue {
    const bits = fieldBits(field);
    const unitUs = field.ticksPerSecond !== undefined ? 1e6 / field.ticksPerSecond : UNIT_US[field.unit ?? "us"];
    const units = Math.floor(clockUs / unitUs);
    if (bits > 32) return bits >= 53 ? units : units % 2 ** bits;
    const modulus = 2 ** bits;
    const key = `${clockKey}:${bits}:${unitUs}`;
    let origin = this.clockOrigins.get(key);
    if (origin === undefined) {
      const hash = stringHash(key);
      // wall clocks: a few seconds before they wrap; tick counters: anywhere in their first half
      const first = field.ticksPerSecond !== undefined ? hash % Math.floor(modulus / 2) : modulus - Math.min(modulus / 2, Math.round(((2 + (hash % 7)) * 1e6) / unitUs));
      origin = (((first - units) % modulus) + modulus) % modulus;
      this.clockOrigins.set(key, origin);
    }
    return (units + origin) % modulus;
  }

  // ------------------------------------------------------------ encoding
  encodeDatagram(datagram: ArenaDatagram, stream?: DatagramStream): Uint8Array {
    const direction = stream?.direction ?? "clientToServer";
    const peer = direction === "clientToServer" ? "serverToClient" : "clientToServer";
    const own = this.stream(stream, direction);
    const other = this.stream(stream, peer);
    const header = datagram.header;
    const extended = this.extendSequence(own, header.sequence);
    const otherExtended = other.started ? other.extended - ((other.last16 - header.ack) & 0xffff) : header.ack;
    const senderClock = direction === "clientToServer" ? `player:${stream?.playerId ?? 0}` : `region:${stream?.regionIndex ?? 0}`;
    const serverClock = `region:${stream?.regionIndex ?? 0}`;
    const datagramRole = (field: Resolved): FieldValue | undefined => {
      switch (field.role) {
        case "sequence":
          return this.sequenceValue(field, extended, header.sequence);
        case "ack":
          return this.sequenceValue(field, otherExtended, header.ack);
        case "ackBits": {
          const bits = fieldBits(field);
          return bits >= 32 ? header.ackBits : (header.ackBits & (2 ** bits - 1)) >>> 0;
        }
        case "sendTime":
          return this.timeValue(field, header.sendTimeUs, senderClock);
        default:
          return undefined;
      }
    };
    // Which simulator messages go to which definition messages (a shot shares the input's message when the definition says so).
    const out: MessageToEncode[] = [];
    const carried: number[] = [];
    const input = datagram.messages.find((message) => message.type === "input");
    if (input !== undefined) own.lastInput = input;
    const inputTarget = this.targets.get("input");
    const shotTarget = this.targets.get("shot");
    const merged = inputTarget !== undefined && shotTarget !== undefined && inputTarget.message === shotTarget.message;
    const messages: ArenaMessage[][] = [];
    for (const message of datagram.messages) {
      if (merged && message.type === "shot") {
        const group = messages.find((entry) => entry[0].type === "input");
        if (group !== undefined) group.push(message);
        else messages.push(own.lastInput === undefined ? [message] : [own.lastInput, message]);
      } else if (this.targets.has(message.type)) {
        messages.push([message]);
      }
    }
    // acknowledgements of the peer's per-channel sequences, learned from the peer datagrams this one acknowledges
    if (this.perChannel) this.learnReceived(own, other, header.ack, header.ackBits);
    if (this.control !== undefined) {
      const channels = this.controlPerChannel && this.perChannel ? [...own.received.keys()].sort((a, b) => a - b) : [undefined];
      for (const channel of channels) {
        const state = channel === undefined ? undefined : own.received.get(channel);
        const fields = this.fill(this.messages.get(this.control.message)!.fields, (field) => {
          if (state !== undefined && channel !== undefined) {
            if (field.role === "ackChannel") return channel;
            if (field.role === "ack") return state[0] & (2 ** Math.min(16, fieldBits(field)) - 1);
            if (field.role === "ackBits") return fieldBits(field) >= 32 ? state[1] : (state[1] & (2 ** fieldBits(field) - 1)) >>> 0;
          }
          if (field.role === "ackChannel") return 0;
          return datagramRole(field);
        }, () => undefined);
        this.fillFrame(fields, this.control, undefined, own, carried, datagramRole, () => undefined);
        out.push({ type: this.control.message, fields });
      }
    }
    for (const group of messages) {
      const target = this.targets.get(group[group.length - 1].type) ?? this.targets.get(group[0].type)!;
      const lookups = group.map((message) => this.sourceOf(message, own, other, senderClock, serverClock, header.sendTimeUs));
      const role = (field: Resolved): FieldValue | undefined => {
        for (const lookup of lookups) {
          const value = lookup.role(field);
          if (value !== undefined) return value;
        }
        return datagramRole(field);
      };
      const name = (fieldName: string): unknown => {
        for (const lookup of lookups) {
          const value = lookup.name(fieldName);
          if (value !== undefined) return value;
        }
        return undefined;
      };
      const fields = this.fill(this.messages.get(target.message)!.fields, role, name, group);
      const eventId = (group[0].fields as { eventId?: number }).eventId;
      this.fillFrame(fields, target, eventId, own, carried, role, name);
      out.push({ type: target.message, fields });
    }
    if (this.perChannel) own.carried[header.sequence & 255] = { sequence16: header.sequence, entries: carried };
    const headerFields = this.fill(this.headerFields, datagramRole, () => undefined);
    if (header.protocolId !== undefined) {
      // a tampering client forges the magic: the first constant header field of 16 bits or more
      const magic = this.headerFields.map((field) => this.resolve(field)).find((field) => field.enum?.length === 1 && fieldBits(field) >= 16 && field.name !== undefined);
      if (magic?.name !== undefined) headerFields[magic.name] = header.protocolId % 2 ** Math.min(32, fieldBits(magic));
    }
    return this.protocol.encodeDatagram(out, { header: headerFields, direction, sessionId: "" });
  }

  /** Frame-header fields of one message (channel, per-channel sequence, resend count). */
  private fillFrame(
    fields: FieldRecord,
    target: Target,
    eventId: number | undefined,
    own: StreamState,
    carried: number[],
    role: (field: Resolved) => FieldValue | undefined,
    name: (name: string) => unknown,
  ): void {
    if (this.frameHeader.length === 0) return;
    let channelSequence: number | undefined;
    if (this.perChannel && target.channel !== undefined && this.channelSequenced(target.channel)) {
      const key = `${target.channel}:${eventId ?? ""}`;
      const known = target.reliable && eventId !== undefined ? own.reliableSequences.get(key) : undefined;
      if (known !== undefined) channelSequence = known;
      else {
        channelSequence = own.channelNext.get(target.channel) ?? 0;
        own.channelNext.set(target.channel, (channelSequence + 1) & 0xffff);
        if (target.reliable && eventId !== undefined) {
          own.reliableSequences.set(key, channelSequence);
          if (own.reliableSequences.size > 512) own.reliableSequences.delete(own.reliableSequences.keys().next().value as string);
        }
      }
      carried.push(target.channel, channelSequence);
    }
    Object.assign(
      fields,
      this.fill(this.frameHeader, (field) => {
        if (field.role === "channel") return target.channel;
        if (field.role === "sequence" && this.perChannel) return channelSequence === undefined ? 0 : channelSequence & (2 ** Math.min(16, fieldBits(field)) - 1);
        if (field.role === "resendCount") return (name("resendCount") as number | undefined) ?? 0;
        return role(field);
      }, (fieldName) => fields[fieldName] ?? name(fieldName)),
    );
  }

  /** Whether messages on `channel` carry the frame header's sequence (its `when` on the channel field holds). */
  private channelSequenced(channel: number): boolean {
    const field = this.frameHeader.find((candidate) => candidate.role === "sequence");
    const condition = field?.when;
    if (field === undefined) return false;
    if (condition === undefined) return true;
    if (condition.equals !== undefined) return condition.equals === channel;
    if (condition.notEquals !== undefined) return condition.notEquals !== channel;
    if (condition.in !== undefined) return condition.in.includes(channel);
    if (condition.notIn !== undefined) return !condition.notIn.includes(channel);
    return channel !== 0;
  }

  /** Marks the channel sequences of the peer's datagrams covered by (ack, ackBits) as received. */
  private learnReceived(own: StreamState, other: StreamState, ack: number, ackBits: number): void {
    for (let back = 0; back <= 32; back++) {
      if (back > 0 && ((ackBits >>> (back - 1)) & 1) === 0) continue;
      const sequence16 = (ack - back) & 0xffff;
      const entry = other.carried[sequence16 & 255];
      if (entry === undefined || entry.sequence16 !== sequence16) continue;
      for (let index = 0; index < entry.entries.length; index += 2) {
        const channel = entry.entries[index];
        own.received.set(channel, receive(own.received.get(channel), entry.entries[index + 1]));
      }
    }
  }

  /** Role and name lookups of one simulator message. */
  private sourceOf(
    message: ArenaMessage,
    own: StreamState,
    other: StreamState,
    senderClock: string, serverClock: string, sendTimeUs: number): { role: (field: Resolved) => FieldValue | undefined; name: (name: string) => unknown } {
    const fields = message.fields as Record<string, unknown>;
    const name = (fieldName: string): unknown => fields[fieldName];
    switch (message.type) {
      case "input":
        return {
          role: (field) => {
            if (field.role === "inputSequence") return message.fields.inputSequence;
            if (field.role === "reportedRtt") return Math.round((message.fields.reportedRttMs * 1000) / UNIT_US[field.unit ?? "ms"]);
            return undefined;
          },
          name,
        };
      case "snapshot":
        return { role: (field) => (field.role === "tick" ? message.fields.tick : undefined), name };
      case "shot":
        return {
          role: (field) => {
            switch (field.role) {
              case "targetTime":
                return this.timeValue(field, message.fields.targetTimeUs, serverClock);
              case "position.x":
                return message.fields.x;
              case "position.y":
                return message.fields.y;
              case "position.z":
                return message.fields.z;
              case "rotation":
              case "aimYaw":
                return message.fields.aimYaw;
              case "aimPitch":
                return message.fields.aimPitch;
              default:
                return undefined;
            }
          },
          name,
        };
      case "ping":
        return {
          role: (field) => {
            if (field.role === "echoId") return message.fields.pingId;
            if (field.role !== "echoTime") return undefined;
            const value = this.timeValue(field, sendTimeUs, senderClock);
            own.pingEchoes.set(message.fields.pingId, value);
            if (own.pingEchoes.size > 64) own.pingEchoes.delete(own.pingEchoes.keys().next().value as number);
            return value;
          },
          name,
        };
      case "pong":
        return {
          role: (field) => {
            if (field.role === "echoId") return message.fields.pingId;
            if (field.role === "echoTime") return other.pingEchoes.get(message.fields.pingId) ?? 0;
            return undefined;
          },
          name,
        };
      default:
        return {
          role: (field): FieldValue | undefined => {
            if (field.role === "playerId") return (fields.playerId ?? fields.victimPlayerId) as number | undefined;
            if (field.role === "reliableId") return fields.eventId as number | undefined;
            if (field.role === "position.x") return fields.x as number | undefined;
            if (field.role === "position.y") return fields.y as number | undefined;
            if (field.role === "position.z") return fields.z as number | undefined;
            return undefined;
          },
          name,
        };
    }
  }

  /**
   * Field values of `fields`: role first, then the simulator field of the same
   * name, else the single enum value, the minimum, or zero. Array fields take
   * the snapshot's entities or the input's frames.
   */
  private fill(
    fields: readonly FieldDefinition[],
    role: (field: Resolved) => FieldValue | undefined,
    name: (name: string) => unknown,
    group: readonly ArenaMessage[] = [],
  ): FieldRecord {
    const record: FieldRecord = {};
    const conditionValues = new Map<string, FieldValue>();
    for (const field of fields) {
      const condition = field.when;
      if (condition === undefined || this.computedNames.has(condition.field)) continue;
      const present = this.someField(field, (leaf) => (leaf.role !== undefined && role(leaf) !== undefined) || (leaf.name !== undefined && leaf.type !== "struct" && leaf.type !== "array" && name(leaf.name) !== undefined));
      let value: FieldValue;
      if (condition.equals !== undefined) value = present ? condition.equals : condition.equals === 0 ? 1 : 0;
      else if (condition.notEquals !== undefined) value = present ? (condition.notEquals === 0 ? 1 : 0) : condition.notEquals;
      else if (condition.in !== undefined) value = present ? condition.in[0] : -1;
      else if (condition.bitsSet !== undefined) value = present ? condition.bitsSet : 0;
      else value = present ? 1 : 0;
      if (!present && conditionValues.has(condition.field)) continue;
      conditionValues.set(condition.field, typeof value === "boolean" ? (value ? 1 : 0) : value);
    }
    for (const field of fields) {
      if (field.name === undefined || this.computedNames.has(field.name)) continue;
      const resolved = this.resolve(field);
      if (conditionValues.has(field.name) && role(resolved) === undefined && name(field.name) === undefined) {
        const value = this.convert(resolved, conditionValues.get(field.name));
        if (value !== undefined) record[field.name] = value;
        continue;
      }
      const value = this.value(resolved, role, name, group);
      if (value !== undefined) record[field.name] = value;
    }
    return record;
  }

  private value(field: Resolved, role: (field: Resolved) => FieldValue | undefined, name: (name: string) => unknown, group: readonly ArenaMessage[]): FieldValue | undefined {
    if (field.type === "struct") return this.fill(field.fields ?? [], role, (child) => (field.name === undefined ? name(child) : ((name(field.name) as Record<string, unknown> | undefined)?.[child] ?? name(child))), group);
    if (field.type === "array") return this.arrayValue(field, role, name, group);
    if (field.type === "switch" || field.type === "plugin") return undefined;
    const fromRole = field.role === undefined ? undefined : role(field);
    const raw = fromRole ?? (field.name === undefined ? undefined : name(field.name));
    return this.convert(field, raw);
  }

  private arrayValue(field: Resolved, role: (field: Resolved) => FieldValue | undefined, name: (name: string) => unknown, group: readonly ArenaMessage[]): FieldValue {
    const element = this.entityArrayOf(field);
    const of = this.resolve(field.of!);
    const elementValue = (source: Record<string, unknown>, roles: (leaf: Resolved) => FieldValue | undefined): FieldValue =>
      of.type === "struct" ? this.fill(of.fields ?? [], roles, (child) => source[child]) : (this.value(of, roles, (child) => source[child], []) ?? 0);
    let items: FieldValue[] = [];
    const limit = field.maxCount ?? (typeof field.count === "number" ? field.count : 255);
    if (element !== undefined) {
      const snapshot = group.find((message) => message.type === "snapshot");
      const entities = snapshot?.type === "snapshot" ? snapshot.fields.entities : [];
      items = entities.slice(0, limit).map((entity) => elementValue(entity as unknown as Record<string, unknown>, (leaf) => entityRole(entity, leaf)));
    } else {
      const input = group.find((message) => message.type === "input");
      const frames = input?.type === "input" && (field.role === "inputCount" || this.isFrameArray(of)) ? input.fields.inputs : [];
      // The simulator's inputs are newest first: inputs[i] is input inputSequence - i (its own inputSequence role).
      const newest = input?.type === "input" ? input.fields.inputSequence : 0;
      items = frames
        .slice(0, limit)
        .map((frame: ArenaInputFrame, index) =>
          elementValue(frame as unknown as Record<string, unknown>, (leaf) => (leaf.role === "inputSequence" ? Math.max(0, newest - index) : undefined)),
        );
      if (field.order === "oldestFirst") items.reverse();
    }
    if (typeof field.count === "number") while (items.length < field.count) items.push(elementValue({}, () => undefined));
    void role;
    void name;
    return items;
  }

  /** A scaled integer's value (raw × scale + offset), kept inside what its raw range can say; the encoder rounds it to a raw step. */
  private scaledValue(field: Resolved, raw: unknown): number {
    const bits = fieldBits(field);
    const signed = field.type.startsWith("i") || field.type === "int";
    const scale = field.scale ?? 1;
    const offset = field.offset ?? 0;
    const ends = [(signed ? -(2 ** (bits - 1)) : 0) * scale + offset, (signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1) * scale + offset];
    const low = Math.min(...ends);
    const high = Math.max(...ends);
    const value = typeof raw === "number" ? raw : typeof field.enum?.[0] === "number" ? (field.enum[0] as number) : Math.max(low, Math.min(high, field.min ?? 0));
    return value < low ? low : value > high ? high : value;
  }

  private isFrameArray(element: Resolved): boolean {
    const names = new Set((element.fields ?? []).map((field) => field.name));
    return names.has("moveX") || names.has("buttons") || names.has("aimYaw");
  }

  private convert(field: Resolved, raw: unknown): FieldValue | undefined {
    switch (field.type) {
      case "string":
        return typeof raw === "string" ? raw : "";
      case "bytes": {
        if (raw instanceof Uint8Array) return raw;
        return new Uint8Array(typeof field.length === "number" ? field.length : 0);
      }
      case "bool":
        return raw === undefined ? false : Boolean(raw);
      case "f32":
      case "f64":
        return typeof raw === "number" ? raw : Number(field.enum?.[0] ?? field.min ?? 0);
      case "quantized": {
        const minimum = field.min ?? 0;
        const maximum = field.max ?? 1;
        const value = typeof raw === "number" ? raw : minimum <= 0 && maximum >= 0 ? 0 : minimum;
        return value < minimum ? minimum : value > maximum ? maximum : value;
      }
      default: {
        if (typeof raw === "bigint") return raw;
        if (typeof raw === "boolean") return raw ? 1 : 0;
        if (field.scale !== undefined || field.offset !== undefined) return this.scaledValue(field, raw);
        let value = typeof raw === "number" ? Math.round(raw) : typeof field.enum?.[0] === "number" ? (field.enum[0] as number) : Math.max(0, field.min ?? 0);
        const bits = fieldBits(field);
        const signed = field.type.startsWith("i") || field.type === "int";
        if (bits < 53) {
          const low = signed ? -(2 ** (bits - 1)) : 0;
          const high = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
          value = value < low ? low : value > high ? high : value;
        } else if (!signed && value < 0) value = 0;
        return value;
      }
    }
  }
}

function entityRole(entity: ArenaEntityState, field: Resolved): FieldValue | undefined {
  if (field.role === undefined || !ENTITY_ROLES.has(field.role)) return undefined;
  switch (field.role) {
    case "entityId":
      return entity.entityId;
    case "position.x":
      return entity.x;
    case "position.y":
      return entity.y;
    case "position.z":
      return entity.z;
    case "rotation":
      return entity.yaw;
    case "velocity.x":
      return entity.velocityX;
    case "velocity.y":
      return entity.velocityY;
    default:
      return entity.velocityZ;
  }
}
