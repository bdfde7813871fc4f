import type { DecodeAnomaly } from "../analyzer.js";
import type { DatagramContext, DatagramDecoder } from "../datagram-decoder.js";
import { ErrorCode, TickscopeError } from "../errors.js";
import type { FieldRecord, FieldValue, GameMessage } from "../game-message.js";
import type { MessageRoles } from "../roles.js";
import type { Direction } from "../session.js";
import { BitReader, BitWriter } from "./bits.js";
import { generateDecoder, generateEncoder, generateRecordCopy } from "./codegen.js";
import { decodeWorkBudget, decodeWorkExceeded, MAX_DECODE_WORK } from "./decode-work-budget.js";
import type { CodecContext, DecodeFields, EncodeFields } from "./codec-runtime.js";
import type { ProtocolDefinition } from "./definition-schema.js";
import { interpretDecoder, interpretEncoder, structPrefixFields } from "./interpreter.js";
import { ProtocolKeyStore, type KeyProvider } from "./key-file.js";
import type { BodyPlan, FieldPlan, MessagePlan, ProtocolPlan, SelectPlan } from "./plan.js";
import { findProtocolPlugin, type ProtocolPlugin } from "./plugins.js";
import { roleBuilder, roleShapeOf, rolesRecord, type RoleBuilder } from "./role-extraction.js";
import { rolesOnlyHints, type DecodedFields } from "./roles-only-decode.js";
import { applyTransforms, undoTransforms, type TransformContext } from "./transforms.js";
import { jsonSyntaxError, planProtocolDefinition } from "./validate.js";

/** Options of {@link compileProtocol}. */
export interface CompileProtocolOptions {
  /**
   * `compiled` (default) generates JavaScript decoders/encoders with `new Function`
   * and falls back to the interpreter when code generation is unavailable;
   * `interpreted` always walks the definition.
   */
  mode?: "compiled" | "interpreted";
  /** Keys for AEAD transforms: a key file's store or a function (per session, per direction). */
  keys?: ProtocolKeyStore | KeyProvider;
  /** Plugins used by this protocol (take precedence over registered ones). */
  plugins?: readonly ProtocolPlugin[];
  /** Report unread bytes at the end of a length-framed message as `E_DECODE_FAILED` (default true). */
  reportTrailingBytes?: boolean;
  /**
   * Called with every error thrown while decoding that is not a `TickscopeError`
   * (a plugin's own error, or a defect of tickscope). The datagram still becomes
   * an `E_DECODE_FAILED` anomaly; fuzz tests use this to tell defects apart.
   */
  onInternalError?: (error: unknown) => void;
  /**
   * What messages' fields are decoded into (default `all`). `roles`: only what
   * `message.roles` needs — a thread whose analyses never read `message.fields`
   * skips building the per-element records of large arrays. Roles, sizes,
   * errors and anomalies stay those of `all`; `message.fields` then holds an
   * element count or the entity roles for the arrays {@link RolesOnlyHints}
   * names. A function chooses per datagram ({@link FieldsWanted}). Applies to
   * compiled decoders (the interpreter decodes everything). The field records
   * of a roles-only datagram (one per message type, when its top-level fields
   * are unconditional) are reused from frame to frame: valid only during the
   * `onMessage` call, like byte views; `decodeDatagramFields` gives new ones.
   */
  fields?: DecodedFields | FieldsWanted;
  /**
   * `fresh` (default): every message gets its own entity roles. `reused`: the
   * entity roles a roles-only decode builds straight from the wire (the
   * `roles.entities` list, its entity objects and their position and velocity
   * objects) are one pool per message field, rewritten in place message after
   * message — valid only during the `onMessage` call, like byte views, so a
   * thread whose analyses copy what they keep allocates nothing per entity.
   * Values are those of `fresh`; `decodeDatagramFields` always returns fresh ones.
   */
  entityRoles?: "fresh" | "reused";
  /**
   * `fresh` (default): every message passed to `decodeDatagram`'s `onMessage`
   * is a new object with a new roles object. `reused`: one message object and
   * (compiled decoders) one roles object serve every message, rewritten in
   * place message after message — valid only during the `onMessage` call,
   * like byte views — for a thread whose analyses read a message only while
   * `onMessage` runs and copy what they keep. Values are those of `fresh`;
   * `decodeDatagramFields` always returns new ones.
   */
  messages?: "fresh" | "reused";
}

/**
 * Says per datagram (before it is decoded) whether its messages' fields are
 * read: true decodes them all, false roles only (see
 * {@link CompileProtocolOptions.fields}). For an analysis that keeps the fields
 * of a sample (bandwidth's re-encoding trace): it must answer true for every
 * datagram whose messages it may keep (a declined datagram's field records
 * are reused by later frames).
 */
export type FieldsWanted = (context: DatagramContext) => boolean;

/** One message to encode. */
export interface MessageToEncode {
  /** Message type name. */
  type: string;
  /** Field values (frame header fields included; lengths, counts and type selectors are computed). */
  fields: FieldRecord;
}

/** Where an encoded datagram goes: header values and the session/direction (for keys). */
export interface EncodeContext {
  /** Datagram header field values. */
  header?: FieldRecord;
  /** Session id (key lookup). */
  sessionId?: string;
  /** Direction (key lookup; default `clientToServer`). */
  direction?: Direction;
}

/** A message decoded without a session: type, fields and size. */
export interface DecodedMessageFields {
  type: string;
  fields: FieldRecord;
  byteLength: number;
  roles: MessageRoles;
}

/** Everything decoded from one datagram (see {@link CompiledProtocol.decodeDatagramFields}). */
export interface DecodedDatagram {
  header: FieldRecord;
  messages: DecodedMessageFields[];
  anomalies: DecodeAnomaly[];
}

interface Codec {
  decode: DecodeFields;
  encode: EncodeFields;
}

type FramesBody = Extract<BodyPlan, { kind: "frames" }>;

const DEFAULT_CONTEXT: DatagramContext = { sessionId: "", direction: "clientToServer", tUs: 0, packetIndex: 0, packetWireLength: 0 };

function matchKey(value: unknown): number | string | undefined {
  if (typeof value === "number" || typeof value === "string") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  return undefined;
}

/**
 * A protocol definition compiled to a decoder and an encoder. Implements
 * {@link DatagramDecoder}: hand it to `@tickscope/capture`. Never throws on bad
 * datagrams: problems become anomalies with stable codes.
 */
export class CompiledProtocol implements DatagramDecoder {
  /** Protocol name from the definition. */
  readonly name: string;
  /** Whether generated code or the interpreter runs. */
  readonly mode: "compiled" | "interpreted";
  /** Message type names in definition order. */
  readonly messageTypes: readonly string[];
  private readonly plan: ProtocolPlan;
  private readonly codecs = new Map<FieldPlan[], Codec>();
  private readonly roleBuilders = new Map<MessagePlan, RoleBuilder>();
  private readonly plugins = new Map<string, ProtocolPlugin>();
  private readonly reader = new BitReader();
  private readonly encodeWriter = new BitWriter(2048);
  private readonly scopes: FieldRecord[] = [];
  /**
   * The datagram header record reused by {@link CompiledProtocol.decodeDatagram}
   * when every header field is unconditional (each datagram's decode then sets
   * all of them, and a datagram whose header fails is not decoded further): the
   * header never reaches a consumer there (roles copy its values), so one record
   * serves every datagram. Undefined: a new record per datagram.
   */
  private readonly headerScratch: FieldRecord | undefined;
  private readonly sessionKeys = new ProtocolKeyStore();
  private readonly externalKeys: KeyProvider | undefined;
  private readonly reportTrailing: boolean;
  private readonly onInternalError: ((error: unknown) => void) | undefined;
  private readonly decodedFields: DecodedFields | FieldsWanted;
  private readonly reuseEntities: boolean;
  /** The roles object every message's roles are written into (`messages: "reused"`, compiled), else undefined. */
  private rolesScratch: MessageRoles | undefined;
  /** The message object every `onMessage` call gets (`messages: "reused"`), else undefined. */
  private readonly messageScratch: GameMessage | undefined;
  /** The roles-only decoders serve this datagram (its fields are not wanted): always with `fields: "roles"`, per datagram with a function. */
  private rolesOnlyDatagram: boolean;
  /**
   * The record the frame header (and select prefixes) of a roles-only
   * datagram's frames decode into, reused frame after frame; each frame's
   * message then decodes into its message's `rolesOnlyRecord` (or a new record
   * when it has conditional fields) with the frame values copied in. Nobody
   * keeps the fields of a datagram whose fields are not wanted (the
   * {@link FieldsWanted} contract; `fields: "roles"` threads read roles only),
   * so these records live only during the `onMessage` call, like byte views.
   * Undefined (a new record per frame): `fields: "all"`, the interpreter, or a
   * frame header or prefix field with a condition (it could keep an earlier
   * frame's value).
   */
  private readonly frameScratch: FieldRecord | undefined;
  private readonly selectMaps = new Map<SelectPlan, Map<number | string, SelectPlan>>();
  private current: { context: DatagramContext; onAnomaly: (anomaly: DecodeAnomaly) => void; messageType: string | undefined } = {
    context: DEFAULT_CONTEXT,
    onAnomaly: () => undefined,
    messageType: undefined,
  };
  private readonly codecContext: CodecContext;
  /** Encoding has its own state, so a callback may encode while a datagram is being decoded. */
  private readonly encodeContext: CodecContext;
  private readonly encodeScopes: FieldRecord[] = [];

  /** Use {@link compileProtocol}. */
  constructor(
    readonly definition: ProtocolDefinition,
    plan: ProtocolPlan,
    options: CompileProtocolOptions,
  ) {
    this.plan = plan;
    this.headerScratch = structPrefixFields(plan.header).length === plan.header.length ? {} : undefined;
    this.name = plan.name;
    this.messageTypes = plan.messages.map((message) => message.name);
    this.reportTrailing = options.reportTrailingBytes !== false;
    this.onInternalError = options.onInternalError;
    this.decodedFields = options.fields ?? "all";
    this.reuseEntities = options.entityRoles === "reused";
    // The same property order as emitMessage's literal (one hidden class for both).
    this.messageScratch =
      options.messages === "reused"
        ? { sessionId: "", direction: "clientToServer", tUs: 0, packetIndex: 0, indexInPacket: 0, type: "", byteLength: 0, packetWireLength: 0, fields: {}, roles: {} }
        : undefined;
    this.rolesOnlyDatagram = this.decodedFields === "roles";
    const keys = options.keys;
    this.externalKeys = keys instanceof ProtocolKeyStore ? keys.provider() : keys;
    for (const name of collectPluginNames(plan)) {
      const plugin = findProtocolPlugin(name, options.plugins);
      if (plugin !== undefined) this.plugins.set(name, plugin);
    }
    const current = this;
    this.codecContext = {
      violation(code, fieldPath, detail) {
        current.report(code, fieldPath, detail);
      },
      plugins: this.plugins,
      sessionId: "",
      direction: "clientToServer",
      copyBytes: false,
      frameLengthPosition: -1,
      work: MAX_DECODE_WORK,
    };
    this.encodeContext = { ...this.codecContext };
    let mode: "compiled" | "interpreted" = options.mode ?? "compiled";
    if (mode === "compiled") {
      try {
        this.buildCodecs(true);
      } catch (error) {
        if (TickscopeError.isInstance(error)) throw error;
        mode = "interpreted";
        this.codecs.clear();
      }
    }
    if (mode === "interpreted") this.buildCodecs(false);
    this.mode = mode;
    this.frameScratch =
      mode === "compiled" && this.decodedFields !== "all" && plan.messages.every((message) => structPrefixFields(message.framePrefix).length === message.framePrefix.length) ? {} : undefined;
  }

  private buildCodecs(compiled: boolean): void {
    const lists: [FieldPlan[], number][] = [[this.plan.header, 0]];
    const visitSelect = (select: SelectPlan): void => {
      if (select.kind === "message") {
        lists.push([select.message.fields, 1]);
        return;
      }
      lists.push([select.prefix, 1]);
      for (const item of select.cases) visitSelect(item.select);
      if (select.fallback !== undefined) visitSelect(select.fallback);
      const map = new Map<number | string, SelectPlan>();
      for (const item of select.cases) for (const value of item.values) if (!map.has(value)) map.set(value, item.select);
      this.selectMaps.set(select, map);
    };
    const visitBody = (body: BodyPlan): void => {
      if (body.kind === "switch") {
        for (const item of body.cases) visitBody(item.body);
        if (body.fallback !== undefined) visitBody(body.fallback);
        return;
      }
      lists.push([body.frameHeader, 1]);
      visitSelect(body.select);
    };
    visitBody(this.plan.body);
    // One roles shape for the whole protocol: the properties any of its builders can set.
    const defaultRoles = new Set<string>();
    for (const message of this.plan.messages) {
      if (message.channel !== undefined) defaultRoles.add("channel");
      if (message.reliable !== undefined) defaultRoles.add("reliable");
      if (message.ackChannel !== undefined) defaultRoles.add("ackChannel");
    }
    const shape = roleShapeOf([this.plan.headerRoles, ...this.plan.messages.map((message) => message.roles)], [...defaultRoles]);
    this.rolesScratch = compiled && this.messageScratch !== undefined ? rolesRecord(shape) : undefined;
    for (const message of this.plan.messages) {
      const defaults = { channel: message.channel, reliable: message.reliable, ackChannel: message.ackChannel };
      this.roleBuilders.set(message, roleBuilder(message.roles, this.plan.headerRoles, defaults, compiled, shape));
      // Roles-only decoding (compiled only): the message's roles-only decoder and role builder share its hints;
      // they serve every datagram (`roles`) or those a FieldsWanted function declines.
      // (Reset: a failed compiled build may have left one; the interpreter's builds have none.)
      const found = compiled && this.decodedFields !== "all" ? rolesOnlyHints(message) : undefined;
      const hints = found !== undefined && this.reuseEntities ? { ...found, reuseEntities: true } : found;
      message.rolesOnly =
        hints === undefined
          ? undefined
          : { decode: generateDecoder(message.fields, 1, hints), buildRoles: roleBuilder(message.roles, this.plan.headerRoles, defaults, compiled, shape, hints) };
      // Reused frame records (see frameScratch): one per message whose top-level fields are all unconditional.
      const reusesRecords = compiled && this.decodedFields !== "all";
      message.rolesOnlyRecord = reusesRecords && structPrefixFields(message.fields).length === message.fields.length ? {} : undefined;
      message.copyFramePrefix = reusesRecords ? generateRecordCopy(message.framePrefix.map((field) => field.name)) : undefined;
    }
    for (const [fields, level] of lists) {
      if (this.codecs.has(fields)) continue;
      this.codecs.set(fields, {
        decode: compiled ? generateDecoder(fields, level) : interpretDecoder(fields, level),
        encode: compiled ? generateEncoder(fields, level) : interpretEncoder(fields, level),
      });
    }
    // Attach runtime pieces to the (per-compile) plan so the hot path does no map lookups.
    this.plan.headerCodec = this.codecs.get(this.plan.header);
    for (const message of this.plan.messages) {
      message.codec = this.codecs.get(message.fields);
      message.buildRoles = this.roleBuilders.get(message);
    }
    for (const [select, map] of this.selectMaps) {
      if (select.kind === "switch") {
        select.map = map;
        select.table = denseTable(map, select.fallback);
        select.prefixCodec = this.codecs.get(select.prefix);
      }
    }
    const attachBody = (body: BodyPlan): void => {
      if (body.kind === "switch") {
        const map = new Map<number | string, BodyPlan>();
        for (const item of body.cases) for (const value of item.values) if (!map.has(value)) map.set(value, item.body);
        body.map = map;
        body.lastKey = undefined;
        body.lastBody = undefined;
        body.cases.forEach((item) => attachBody(item.body));
        if (body.fallback !== undefined) attachBody(body.fallback);
        return;
      }
      body.frameCodec = this.codecs.get(body.frameHeader);
    };
    attachBody(this.plan.body);
  }

  /** Sets the AEAD key of one session and direction (overrides key files and inline keys). */
  setSessionKey(sessionId: string, direction: Direction | "both", key: Uint8Array): void {
    this.sessionKeys.add({ sessionId, direction, key });
  }

  private keyProvider(): KeyProvider | undefined {
    if (this.sessionKeys.size === 0) return this.externalKeys;
    const external = this.externalKeys;
    const sessionKeys = this.sessionKeys;
    return (request) => sessionKeys.lookup(request.sessionId, request.direction) ?? external?.(request);
  }

  private report(code: string, fieldPath: string | undefined, detail: string, offset?: number): void {
    const { context, onAnomaly, messageType } = this.current;
    const anomaly: DecodeAnomaly = {
      sessionId: context.sessionId,
      direction: context.direction,
      tUs: context.tUs,
      packetIndex: context.packetIndex,
      code,
      detail,
    };
    if (fieldPath !== undefined && fieldPath !== "") anomaly.fieldPath = fieldPath;
    if (messageType !== undefined) anomaly.messageType = messageType;
    if (offset !== undefined) anomaly.offset = offset;
    onAnomaly(anomaly);
  }

  private transformContext(datagram: Uint8Array, encoding = false): TransformContext {
    const context = encoding ? this.encodeContext : this.codecContext;
    return {
      sessionId: context.sessionId,
      direction: context.direction,
      datagram,
      scopes: encoding ? this.encodeScopes : this.scopes,
      keys: this.keyProvider(),
      plugins: this.plugins,
    };
  }

  private resolveBody(header: FieldRecord): FramesBody | undefined {
    let body = this.plan.body;
    while (body.kind === "switch") {
      const value = header[body.on.name];
      let next: BodyPlan | undefined;
      // One-entry cache: the switch value (e.g. Firefall's socket id) repeats datagram after datagram.
      if (value === body.lastKey && value !== undefined) next = body.lastBody;
      else {
        next = body.map!.get(matchKey(value) as number | string) ?? body.fallback;
        body.lastKey = value;
        body.lastBody = next;
      }
      if (next === undefined) return undefined;
      body = next;
    }
    return body;
  }

  private select(select: SelectPlan, reader: BitReader, scopes: FieldRecord[], context: CodecContext): MessagePlan {
    let current = select;
    while (current.kind === "switch") {
      if (current.prefix.length > 0) current.prefixCodec!.decode(reader, scopes, context);
      const value = scopes[current.on.level]?.[current.on.name];
      const table = current.table!;
      // Small integer selectors (message types, channels) index a dense table; the rest go through the map.
      const next =
        typeof value === "number" && value >= 0 && value < table.length && Number.isInteger(value)
          ? table[value]
          : (current.map!.get(typeof value === "number" ? value : (matchKey(value) as number | string)) ?? current.fallback);
      if (next === undefined) {
        throw new TickscopeError(ErrorCode.decodeFailed, `no message type for ${current.on.name} = ${String(value)}`, { fieldPath: current.on.name });
      }
      current = next;
    }
    return current.message;
  }

  /**
   * Decodes one datagram (see {@link DatagramDecoder}). Messages are emitted in
   * datagram order; byte fields are views valid during the callback.
   */
  decodeDatagram(
    payload: Uint8Array,
    context: DatagramContext,
    onMessage: (message: GameMessage) => void,
    onAnomaly: (anomaly: DecodeAnomaly) => void,
  ): void {
    this.onMessage = onMessage;
    this.run(payload, context, onAnomaly, false, this.emitMessage);
  }

  private onMessage: (message: GameMessage) => void = () => undefined;

  private readonly emitMessage = (message: MessagePlan, fields: FieldRecord, byteLength: number, roles: MessageRoles, index: number): void => {
    const context = this.current.context;
    const reused = this.messageScratch;
    if (reused !== undefined) {
      reused.sessionId = context.sessionId;
      reused.direction = context.direction;
      reused.tUs = context.tUs;
      reused.packetIndex = context.packetIndex;
      reused.indexInPacket = index;
      reused.type = message.name;
      reused.byteLength = byteLength;
      reused.packetWireLength = context.packetWireLength;
      reused.fields = fields;
      reused.roles = roles;
      this.onMessage(reused);
      return;
    }
    this.onMessage({
      sessionId: context.sessionId,
      direction: context.direction,
      tUs: context.tUs,
      packetIndex: context.packetIndex,
      indexInPacket: index,
      type: message.name,
      byteLength,
      packetWireLength: context.packetWireLength,
      fields,
      roles,
    });
  };

  /** Decodes one datagram into plain values (byte fields copied), collecting anomalies. */
  decodeDatagramFields(payload: Uint8Array, context: Partial<DatagramContext> = {}): DecodedDatagram {
    const full: DatagramContext = { ...DEFAULT_CONTEXT, ...context };
    const result: DecodedDatagram = { header: {}, messages: [], anomalies: [] };
    result.header = this.run(
      payload,
      full,
      (anomaly) => result.anomalies.push(anomaly),
      true,
      (message, fields, byteLength, roles) => result.messages.push({ type: message.name, fields, byteLength, roles }),
    );
    return result;
  }

  private run(
    payload: Uint8Array,
    context: DatagramContext,
    onAnomaly: (anomaly: DecodeAnomaly) => void,
    copyBytes: boolean,
    emit: (message: MessagePlan, fields: FieldRecord, byteLength: number, roles: MessageRoles, index: number) => void,
  ): FieldRecord {
    const current = this.current;
    current.context = context;
    current.onAnomaly = onAnomaly;
    current.messageType = undefined;
    const codecContext = this.codecContext;
    codecContext.sessionId = context.sessionId;
    codecContext.direction = context.direction;
    codecContext.copyBytes = copyBytes;
    codecContext.work = decodeWorkBudget(payload.length);
    const fields = this.decodedFields;
    if (typeof fields === "function") this.rolesOnlyDatagram = !fields(context);
    const reader = this.reader;
    const scopes = this.scopes;
    // decodeDatagramFields returns the header: a new record there.
    const header: FieldRecord = copyBytes || this.headerScratch === undefined ? {} : this.headerScratch;
    scopes[0] = header;
    reader.reset(payload);
    reader.field = "";
    try {
      const plan = this.plan;
      if (plan.header.length > 0) plan.headerCodec!.decode(reader, scopes, codecContext);
      reader.align();
      let authenticated = false;
      if (plan.transforms.length > 0) {
        const start = reader.position >>> 3;
        const result = undoTransforms(plan.transforms, payload.subarray(start), this.transformContext(payload));
        authenticated = result.authenticated;
        reader.reset(result.bytes);
      }
      const body = this.resolveBody(header);
      if (body === undefined) {
        this.report(ErrorCode.decodeFailed, plan.body.kind === "switch" ? plan.body.on.name : undefined, "no body for this header");
        return header;
      }
      this.frames(body, payload, header, authenticated, emit);
    } catch (error) {
      this.fail(error);
    }
    current.messageType = undefined;
    return header;
  }

  private fail(error: unknown): void {
    if (TickscopeError.isInstance(error)) {
      this.report(error.code, error.fieldPath, error.message, error.offset);
      return;
    }
    // Plugins and stack exhaustion: still a counted anomaly, never a crash.
    this.onInternalError?.(error);
    this.report(ErrorCode.decodeFailed, this.reader.field, error instanceof Error ? error.message : String(error));
  }

  private frames(
    body: FramesBody,
    payload: Uint8Array,
    header: FieldRecord,
    datagramAuthenticated: boolean,
    emit: (message: MessagePlan, fields: FieldRecord, byteLength: number, roles: MessageRoles, index: number) => void,
  ): void {
    const reader = this.reader;
    const scopes = this.scopes;
    const codecContext = this.codecContext;
    const frameHeader = body.frameCodec!;
    const length = body.length;
    const datagramEnd = reader.end;
    const hasTransforms = body.transforms.length > 0;
    const only = body.transforms.length === 1 ? body.transforms[0] : undefined;
    const xorOnly = only?.kind === "xor" ? only : undefined;
    // Roles only and nothing kept (decodeDatagramFields copies: fresh records there): reused frame records.
    const frameScratch = this.rolesOnlyDatagram && !codecContext.copyBytes ? this.frameScratch : undefined;
    // Reused messages (never for decodeDatagramFields): every message's roles go into one roles object.
    const rolesTarget = codecContext.copyBytes ? undefined : this.rolesScratch;
    // A header count says how many frames there are: fewer or more on the wire is an anomaly.
    const count = body.count === undefined ? -1 : messageCount(scopes[0][body.count.name], body.count.name);
    for (let index = 0; ; index++) {
      reader.align();
      if (count >= 0) {
        if (index >= count) {
          if (reader.position < datagramEnd) {
            this.current.messageType = undefined;
            this.report(
              ErrorCode.countMismatch,
              body.count!.name,
              `${body.count!.name} says ${count} messages, but ${(datagramEnd - reader.position) >>> 3} bytes follow message ${count}`,
              reader.position >>> 3,
            );
          }
          return;
        }
        if (reader.position >= datagramEnd) {
          this.current.messageType = undefined;
          this.report(ErrorCode.countMismatch, body.count!.name, `${body.count!.name} says ${count} messages, but the datagram ends after ${index}`, reader.position >>> 3);
          return;
        }
      } else if (reader.position >= datagramEnd && (body.repeat || index > 0)) break;
      if (index >= body.maxMessages) {
        this.report(ErrorCode.lengthExceeded, undefined, `more than ${body.maxMessages} messages in one datagram`);
        return;
      }
      this.current.messageType = undefined;
      const frameStart = reader.position;
      const frameFields: FieldRecord = frameScratch ?? {};
      scopes[1] = frameFields;
      if (body.frameHeader.length > 0) frameHeader.decode(reader, scopes, codecContext);
      let frameEnd = datagramEnd;
      if (length !== undefined) {
        const bytes = frameFields[length.field] as number;
        frameEnd = (length.includesHeader ? frameStart : reader.position) + bytes * 8;
        if (frameEnd > datagramEnd) {
          throw new TickscopeError(ErrorCode.truncated, `frame length ${bytes} runs past the datagram end`, { fieldPath: length.field });
        }
        if (frameEnd < reader.position) {
          throw new TickscopeError(ErrorCode.decodeFailed, `frame length ${bytes} is shorter than the frame header`, { fieldPath: length.field });
        }
        reader.end = frameEnd;
      }
      let authenticated = datagramAuthenticated;
      const savedBuffer = reader.buffer;
      let transformed = false;
      if (hasTransforms) {
        reader.align();
        const start = reader.position >>> 3;
        const end = reader.end >>> 3;
        if (xorOnly !== undefined) {
          const value = scopes[xorOnly.ref.level][xorOnly.ref.name];
          const table = xorOnly.table;
          const key =
            typeof value === "number" && value >= 0 && value < table.length && Number.isInteger(value)
              ? table[value]
              : xorOnly.keys.get(typeof value === "number" ? value : Number(value));
          if (key !== undefined && (xorOnly.when === undefined || xorOnly.when.test(scopes[xorOnly.when.ref.level]?.[xorOnly.when.ref.name]))) {
            // A fresh buffer per de-obfuscated frame (rare: resends), so byte views of earlier
            // messages in the same datagram stay valid.
            const scratch = new Uint8Array(end - start);
            const keyLength = key.length;
            for (let index = start; index < end; index++) scratch[index - start] = savedBuffer[index] ^ key[(index - start) % keyLength];
            reader.reset(scratch, 0, end - start);
            transformed = true;
          }
        } else {
          const result = undoTransforms(body.transforms, savedBuffer.subarray(start, end), this.transformContext(payload));
          authenticated ||= result.authenticated;
          reader.reset(result.bytes);
          transformed = true;
        }
      }
      const message = this.select(body.select, reader, scopes, codecContext);
      this.current.messageType = message.name;
      let fields = frameFields;
      if (frameScratch !== undefined) {
        // The message's own reused record (the same keys in the same order as a new one), the frame's values copied in.
        fields = message.rolesOnlyRecord ?? {};
        message.copyFramePrefix!(fields, frameScratch);
        scopes[1] = fields;
      }
      if ((codecContext.work -= message.work) < 0) decodeWorkExceeded(message.name);
      const rolesOnly = this.rolesOnlyDatagram ? message.rolesOnly : undefined;
      if (rolesOnly === undefined) message.codec!.decode(reader, scopes, codecContext);
      else rolesOnly.decode(reader, scopes, codecContext);
      reader.align();
      if ((length !== undefined || hasTransforms) && this.reportTrailing && reader.position < reader.end) {
        this.report(ErrorCode.decodeFailed, message.name, `${(reader.end - reader.position) >>> 3} unread bytes at the end of the message`);
      }
      const stop = length !== undefined || hasTransforms ? frameEnd : reader.position;
      if (transformed) reader.buffer = savedBuffer;
      reader.position = stop;
      reader.end = datagramEnd;
      const roles = rolesOnly === undefined ? message.buildRoles!(fields, header, authenticated, rolesTarget) : rolesOnly.buildRoles(fields, header, authenticated, rolesTarget);
      emit(message, fields, (stop - frameStart) >>> 3, roles, index);
      if (stop === frameStart && body.repeat) {
        // Only a plugin can read nothing here (validation): the next frame would be the same, forever.
        this.report(ErrorCode.decodeFailed, message.name, "a frame read no input, so the datagram's frames would never end");
        return;
      }
      if (!body.repeat) {
        reader.align();
        if (reader.position < datagramEnd && this.reportTrailing) {
          this.report(ErrorCode.decodeFailed, undefined, `${(datagramEnd - reader.position) >>> 3} unread bytes at the end of the datagram`);
        }
        return;
      }
    }
  }

  private messagePlan(type: string): MessagePlan {
    const message = this.plan.messagesByName.get(type);
    if (message === undefined || message.body === undefined) {
      throw new TickscopeError(ErrorCode.encodeFailed, `unknown message type ${JSON.stringify(type)}`, { fieldPath: type });
    }
    return message;
  }

  private encodeFrame(writer: BitWriter, message: MessagePlan, given: FieldRecord, datagram: () => Uint8Array): void {
    const body = message.body!;
    const fields: FieldRecord = { ...given };
    for (const selector of message.selectors) {
      // A case of several values (RTP payload types sharing one message) keeps the given value: decoded fields re-encode to the same bytes.
      if (selector.level === 1 && selector.values?.includes(fields[selector.name] as number | string) !== true) fields[selector.name] = selector.value as FieldValue;
    }
    const scopes = this.encodeScopes;
    scopes[1] = fields;
    const context = this.encodeContext;
    context.frameLengthPosition = -1;
    const frameStart = writer.position;
    this.codecs.get(body.frameHeader)!.encode(writer, scopes, context);
    const lengthPosition = context.frameLengthPosition;
    writer.align();
    const payloadStart = writer.position;
    const prefixes = message.framePrefix.slice(body.frameHeader.length);
    const writeBody = (target: BitWriter): void => {
      if (prefixes.length > 0) this.encodePrefixes(target, body.select, fields, message);
      this.codecs.get(message.fields)!.encode(target, scopes, context);
      target.align();
    };
    if (body.transforms.length > 0) {
      const inner = new BitWriter(256);
      writeBody(inner);
      writer.bytes(applyTransforms(body.transforms, inner.finish(), this.transformContext(datagram(), true)));
    } else writeBody(writer);
    if (body.length !== undefined && lengthPosition >= 0) {
      const lengthField = body.frameHeader.find((field) => field.name === body.length!.field)!;
      const bytes = (writer.position - (body.length.includesHeader ? frameStart : payloadStart)) >>> 3;
      const bits = lengthField.node.kind === "int" ? lengthField.node.bits : 16;
      if (bytes >= 2 ** bits) throw new TickscopeError(ErrorCode.encodeFailed, `message of ${bytes} bytes does not fit the ${bits}-bit length`, { fieldPath: message.name });
      writer.patch(lengthPosition, bytes, bits, lengthField.node.kind === "int" && lengthField.node.little);
    }
  }

  private encodePrefixes(writer: BitWriter, select: SelectPlan, fields: FieldRecord, message: MessagePlan): void {
    // Walk the select tree along the path that leads to this message, writing each prefix.
    let current = select;
    while (current.kind === "switch") {
      if (current.prefix.length > 0) this.codecs.get(current.prefix)!.encode(writer, this.encodeScopes, this.encodeContext);
      const value = matchKey(this.encodeScopes[current.on.level]?.[current.on.name]);
      const next: SelectPlan | undefined = this.selectMaps.get(current)!.get(value as number | string) ?? current.fallback;
      if (next === undefined) throw new TickscopeError(ErrorCode.encodeFailed, `no path to message ${message.name}`, { fieldPath: message.name });
      current = next;
    }
    if (current.message !== message) {
      throw new TickscopeError(ErrorCode.encodeFailed, `fields select message ${current.message.name}, not ${message.name}`, { fieldPath: message.name });
    }
  }

  private prepare(context: EncodeContext): void {
    this.encodeContext.sessionId = context.sessionId ?? "";
    this.encodeContext.direction = context.direction ?? "clientToServer";
    this.encodeContext.copyBytes = false;
    this.encodeScopes.length = 0;
    this.encodeScopes[0] = context.header ?? {};
  }

  /**
   * Encodes one message as it appears inside a datagram (frame header, type
   * prefixes and body, frame transforms applied); no datagram header.
   */
  encodeMessage(type: string, fields: FieldRecord, context: EncodeContext = {}): Uint8Array {
    const message = this.messagePlan(type);
    this.prepare(context);
    const writer = new BitWriter(256);
    this.encodeFrame(writer, message, fields, () => new Uint8Array(0));
    return writer.finish();
  }

  /**
   * Encodes a whole datagram: the header from `context.header` (single-valued
   * enums fill missing header fields), then each message. Throws
   * `E_ENCODE_FAILED` naming the field when a value does not fit.
   */
  encodeDatagram(messages: readonly MessageToEncode[], context: EncodeContext = {}): Uint8Array {
    this.prepare(context);
    const header: FieldRecord = { ...this.encodeScopes[0] };
    this.encodeScopes[0] = header;
    const first = messages[0] === undefined ? undefined : this.plan.messagesByName.get(messages[0].type);
    for (const selector of first?.selectors ?? []) if (selector.level === 0 && header[selector.name] === undefined) header[selector.name] = selector.value as FieldValue;
    const body = this.resolveBody(header);
    if (body === undefined) throw new TickscopeError(ErrorCode.encodeFailed, "no body matches the header values");
    // The message count is computed, like lengths: the number of messages written.
    if (body.count !== undefined) header[body.count.name] = messages.length;
    const writer = this.encodeWriter;
    writer.reset();
    const plan = this.plan;
    if (plan.header.length > 0) this.codecs.get(plan.header)!.encode(writer, this.encodeScopes, this.encodeContext);
    writer.align();
    const headerBytes = writer.finish();
    const target = plan.transforms.length > 0 ? new BitWriter(512) : writer;
    for (const item of messages) {
      const message = this.messagePlan(item.type);
      if (message.body !== body) throw new TickscopeError(ErrorCode.encodeFailed, `message ${item.type} cannot appear with this header`, { fieldPath: item.type });
      this.encodeFrame(target, message, item.fields, () => headerBytes);
      if (!body.repeat) break;
    }
    if (target !== writer) writer.bytes(applyTransforms(plan.transforms, target.finish(), this.transformContext(headerBytes, true)));
    return writer.finish();
  }
}

/** A header message count as a number; a value that is not a non-negative integer stops the datagram (`E_COUNT_MISMATCH`). */
function messageCount(value: unknown, name: string): number {
  const number = typeof value === "bigint" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isInteger(number) || number < 0) {
    throw new TickscopeError(ErrorCode.countMismatch, `${name} = ${String(value)} is not a message count`, { fieldPath: name });
  }
  return number;
}

/** Largest selector value given a dense lookup table. */
const DENSE_TABLE_LIMIT = 256;

/**
 * The case of every integer value 0..max (max ≤ {@link DENSE_TABLE_LIMIT} - 1) of
 * a value -> case map, with `fallback` in the gaps: same answers as
 * `map.get(value) ?? fallback` for those values, without hashing.
 */
function denseTable<T>(map: ReadonlyMap<number | string, T>, fallback: T | undefined): (T | undefined)[] {
  let size = 0;
  for (const key of map.keys()) if (typeof key === "number" && Number.isInteger(key) && key >= 0 && key < DENSE_TABLE_LIMIT && key + 1 > size) size = key + 1;
  const table: (T | undefined)[] = new Array(size).fill(fallback);
  for (const [key, value] of map) if (typeof key === "number" && Number.isInteger(key) && key >= 0 && key < size) table[key] = value;
  return table;
}

function collectPluginNames(plan: ProtocolPlan): Set<string> {
  const names = new Set<string>();
  const visitFields = (fields: FieldPlan[]): void => {
    for (const field of fields) visitNode(field.node);
  };
  const visitNode = (node: FieldPlan["node"]): void => {
    if (node.kind === "plugin") names.add(node.plugin);
    else if (node.kind === "struct") visitFields(node.fields);
    else if (node.kind === "array") visitNode(node.of);
    else if (node.kind === "switch") {
      for (const item of node.cases) visitFields(item.struct.fields);
      if (node.fallback !== undefined) visitFields(node.fallback.fields);
    }
  };
  const visitTransforms = (transforms: ProtocolPlan["transforms"]): void => {
    for (const transform of transforms) if (transform.kind === "plugin") names.add(transform.plugin);
  };
  visitFields(plan.header);
  visitTransforms(plan.transforms);
  const visitBody = (body: BodyPlan): void => {
    if (body.kind === "switch") {
      body.cases.forEach((item) => visitBody(item.body));
      if (body.fallback !== undefined) visitBody(body.fallback);
      return;
    }
    visitFields(body.frameHeader);
    visitTransforms(body.transforms);
  };
  visitBody(plan.body);
  for (const message of plan.messages) visitFields([...message.framePrefix, ...message.fields]);
  return names;
}

/**
 * Validates and compiles a protocol definition (object, or JSON text) into a
 * decoder + encoder. Throws `E_DEFINITION_INVALID` naming the JSON path of the
 * first problem.
 */
export function compileProtocol(definition: ProtocolDefinition | string | unknown, options: CompileProtocolOptions = {}): CompiledProtocol {
  let value = definition;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch (cause) {
      throw jsonSyntaxError(value as string, cause);
    }
  }
  const plan = planProtocolDefinition(value);
  return new CompiledProtocol(value as ProtocolDefinition, plan, options);
}
