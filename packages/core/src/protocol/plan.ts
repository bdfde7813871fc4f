import { ErrorCode, TickscopeError } from "../errors.js";
import { hexToBytes } from "./bits.js";
import type { DecodeFields, EncodeFields } from "./codec-runtime.js";
import type {
  BodyDefinition,
  BytePartDefinition,
  ConditionDefinition,
  FieldDefinition,
  MessageDefinition,
  ProtocolDefinition,
  SelectDefinition,
  TransformDefinition,
} from "./definition-schema.js";

/** Field, message, type and protocol names: identifiers, at most 64 characters. */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Deepest struct/array/switch nesting a definition may use. */
export const MAX_NESTING_DEPTH = 32;
/** Most plan nodes a definition may expand to (after inlining `ref` types). */
export const MAX_PLAN_NODES = 100_000;
/** Largest count of zero-size array elements accepted at run time. */
export const MAX_ZERO_SIZE_ELEMENTS = 65_536;

/** Reference to an earlier field: scope level (0 = datagram header, 1 = message, 2+ = nested) and name. */
export interface FieldRef {
  level: number;
  name: string;
}

/** A compiled presence / selection condition. */
export interface ConditionPlan {
  ref: FieldRef;
  test: (value: unknown) => boolean;
}

/** Length of a bytes/string value. */
export type LengthPlan =
  | { kind: "fixed"; bytes: number }
  | { kind: "rest" }
  | { kind: "field"; ref: FieldRef; derived: boolean }
  | { kind: "prefix"; prefix: "u8" | "u16" | "u32" | "varint" };

/** Count of an array. */
export type CountPlan =
  | { kind: "fixed"; count: number }
  | { kind: "untilEnd" }
  | { kind: "field"; ref: FieldRef; derived: boolean }
  | { kind: "prefix"; prefix: "u8" | "u16" | "u32" | "varint" };

/** A normalized type. */
export type NodePlan =
  | { kind: "int"; bits: number; signed: boolean; little: boolean; big: boolean }
  | { kind: "intBytes"; signed: boolean; little: boolean; ref: FieldRef }
  | { kind: "varint"; zigzag: boolean }
  | { kind: "float"; bits: 32 | 64; little: boolean }
  | { kind: "quantized"; min: number; max: number; bits: number; steps: number; little: boolean }
  /** An integer of at most 48 bits read as `raw × scale + offset` (the definition's `scale`/`offset`). */
  | { kind: "scaled"; bits: number; signed: boolean; little: boolean; scale: number; offset: number }
  | { kind: "bool"; bits: number }
  | { kind: "bytes"; text: "utf8" | "ascii" | null; length: LengthPlan; maxLength: number | undefined }
  | { kind: "struct"; level: number; fields: FieldPlan[] }
  | {
      kind: "array";
      of: NodePlan;
      count: CountPlan;
      maxCount: number | undefined;
      minElementBits: number;
      /** Work units one element costs against the per-datagram decode budget (see {@link nodeWork}). */
      elementWork: number;
      /** Which end holds the newest element (arrays whose elements carry roles). */
      order: "newestFirst" | "oldestFirst" | undefined;
    }
  | {
      kind: "switch";
      on: FieldRef;
      cases: { values: (number | string)[]; struct: StructPlan }[];
      fallback: StructPlan | undefined;
      /** Value -> index of the first case with it, when the cases list many values (no linear scan per decode). */
      lookup: Map<number | string, number> | undefined;
    }
  | { kind: "plugin"; plugin: string; options: Record<string, unknown> };

/** A struct node. */
export type StructPlan = Extract<NodePlan, { kind: "struct" }>;

/** Value constraints of a field. */
export interface ConstraintPlan {
  min: number | undefined;
  max: number | undefined;
  values: Set<unknown> | undefined;
}

/** A normalized field. */
export interface FieldPlan {
  name: string;
  /** Path for messages, e.g. `snapshot.entities[].x`. */
  path: string;
  node: NodePlan;
  when: ConditionPlan | undefined;
  constraint: ConstraintPlan | undefined;
  /** Set when a later sibling takes its count/length from this field: the encoder computes it. */
  derived: { kind: "count" | "byteLength" | "frameLength"; target: string; ascii?: boolean } | undefined;
  /** Single-valued enum: the value the encoder uses when the field is missing. */
  defaultValue: unknown;
  role: string | undefined;
  unit: "ns" | "us" | "ms" | "s" | undefined;
  ticksPerSecond: number | undefined;
  echoPhase: "request" | "reply" | undefined;
}

/** A nonce / AAD part. */
export type BytePartPlan =
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "field"; ref: FieldRef; bytes: number; little: boolean }
  | { kind: "datagramBytes"; offset: number; length: number };

/** A normalized transform. */
export type TransformPlan =
  | {
      kind: "xor";
      ref: FieldRef;
      keys: Map<number, Uint8Array>;
      /** The keys of the small non-negative integer values (below 256), indexed by value: a lookup without hashing. */
      table: (Uint8Array | undefined)[];
      when: ConditionPlan | undefined;
    }
  | {
      kind: "aead";
      algorithm: "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305" | "xchacha20-poly1305";
      nonce: BytePartPlan[];
      aad: BytePartPlan[];
      keys: { clientToServer: Uint8Array | undefined; serverToClient: Uint8Array | undefined };
      keyName: string;
      when: ConditionPlan | undefined;
      path: string;
    }
  | { kind: "plugin"; plugin: string; options: Record<string, unknown>; when: ConditionPlan | undefined };

/** Chooses a message. */
export type SelectPlan =
  | { kind: "message"; message: MessagePlan }
  | {
      kind: "switch";
      prefix: FieldPlan[];
      on: FieldRef;
      cases: { values: (number | string)[]; select: SelectPlan }[];
      fallback: SelectPlan | undefined;
      /** Filled by the compiler: value -> case. */
      map?: Map<number | string, SelectPlan>;
      /** Filled by the compiler: the case (or fallback) of each small non-negative integer value, indexed by value. */
      table?: (SelectPlan | undefined)[];
      prefixCodec?: { decode: DecodeFields; encode: EncodeFields };
    };

/** How the bytes after the header become messages. */
export type BodyPlan =
  | {
      kind: "frames";
      repeat: boolean;
      maxMessages: number;
      frameHeader: FieldPlan[];
      /** Datagram header field holding the number of messages (the body's `count`). */
      count: FieldRef | undefined;
      length: { field: string; includesHeader: boolean } | undefined;
      transforms: TransformPlan[];
      select: SelectPlan;
      /** Filled by the compiler. */
      frameCodec?: { decode: DecodeFields; encode: EncodeFields };
    }
  | {
      kind: "switch";
      on: FieldRef;
      cases: { values: (number | string)[]; body: BodyPlan }[];
      fallback: BodyPlan | undefined;
      /** Filled by the compiler: value -> case. */
      map?: Map<number | string, BodyPlan>;
      /** Decoder's one-entry cache: the last looked-up header value (a session's socket id repeats in every datagram) and its body. */
      lastKey?: unknown;
      lastBody?: BodyPlan | undefined;
    };

/** One role-tagged field, by its path from the record that holds it. */
export interface RoleFieldPlan {
  role: string;
  path: string[];
  field: FieldPlan;
  /**
   * For an integer whose byte length comes from another field (`byteLength`):
   * the path of that length field in the same record as `path`. When it reads
   * 0 the integer is absent from the wire — its value in `fields` is 0, but
   * it carries no value, so no role is taken from it. Undefined for
   * fixed-width fields (and for a length field outside the record).
   */
  widthPath?: string[];
}

/** Role extraction spec of one message (or the header). */
export interface RolePlan {
  scalars: RoleFieldPlan[];
  entityArrays: { path: string[]; entity: RoleFieldPlan[] }[];
  inputCountArrays: string[][];
  /**
   * Arrays whose struct elements carry roles but are not entity arrays (a
   * redundant input array): each element's roles become `roles.elements`,
   * newest first. At most one per message.
   */
  elementArrays: { path: string[]; newestFirst: boolean; element: RoleFieldPlan[] }[];
}

/** A normalized message type. */
export interface MessagePlan {
  name: string;
  index: number;
  channel: string | number | undefined;
  reliable: boolean | undefined;
  /** Channel this message's ack/ackBits acknowledge (the definition's `ackChannel`). */
  ackChannel: string | number | undefined;
  fields: FieldPlan[];
  roles: RolePlan;
  /**
   * Field values the frame header / prefixes must have to select this message
   * (filled in by the encoder): `value`, unless the given value is already one
   * of the case's `values`.
   */
  selectors: { level: number; name: string; value: number | string; values?: readonly (number | string)[] }[];
  /** Frame header + prefix fields on the path to this message. */
  framePrefix: FieldPlan[];
  /** Work units one frame of this message costs against the per-datagram decode budget. */
  work: number;
  /** The frames body that leads to this message. */
  body: Extract<BodyPlan, { kind: "frames" }> | undefined;
  /** Filled by the compiler. */
  codec?: { decode: DecodeFields; encode: EncodeFields };
  /** Filled by the compiler: builds the message's roles. */
  buildRoles?: (
    fields: import("../game-message.js").FieldRecord,
    header: import("../game-message.js").FieldRecord,
    authenticated: boolean,
    target?: import("../roles.js").MessageRoles,
  ) => import("../roles.js").MessageRoles;
  /**
   * Filled by the compiler when not every field is decoded
   * (`CompileProtocolOptions.fields` `roles` or a function) and this message
   * has a roles-only decoder (see roles-only-decode.ts): it and its role
   * builder, used for every datagram (`roles`) or those the function declines.
   */
  rolesOnly?: {
    decode: DecodeFields;
    buildRoles: (
      fields: import("../game-message.js").FieldRecord,
      header: import("../game-message.js").FieldRecord,
      authenticated: boolean,
      target?: import("../roles.js").MessageRoles,
    ) => import("../roles.js").MessageRoles;
  };
  /**
   * Filled by the compiler when not every field is decoded and the frame
   * records are reused (see `CompiledProtocol`): the one field record every
   * roles-only frame of this message decodes into, rewritten frame after frame
   * (every top-level field is unconditional, so each decode sets them all);
   * undefined when a top-level field has a condition (a new record per frame).
   */
  rolesOnlyRecord?: import("../game-message.js").FieldRecord;
  /** Filled by the compiler with `rolesOnlyRecord`'s mode: copies the frame header and prefix values ({@link MessagePlan.framePrefix}) from the frame record into a message's record. */
  copyFramePrefix?: (target: import("../game-message.js").FieldRecord, source: import("../game-message.js").FieldRecord) => void;
}

/** The whole normalized protocol. */
export interface ProtocolPlan {
  name: string;
  header: FieldPlan[];
  headerRoles: RolePlan;
  transforms: TransformPlan[];
  body: BodyPlan;
  messages: MessagePlan[];
  messagesByName: Map<string, MessagePlan>;
  /** Filled by the compiler. */
  headerCodec?: { decode: DecodeFields; encode: EncodeFields };
}

/** Throws `E_DEFINITION_INVALID` naming the JSON path. */
export function definitionError(path: string, problem: string): never {
  throw new TickscopeError(ErrorCode.definitionInvalid, `${path}: ${problem}`, { fieldPath: path });
}

const RESERVED_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype).concat(["prototype", "__proto__", "constructor"]));

/** Checks a user-given name against the identifier pattern and reserved names. */
export function checkIdentifier(name: unknown, path: string): string {
  if (typeof name !== "string" || !IDENTIFIER_PATTERN.test(name)) {
    definitionError(path, `${JSON.stringify(name)} is not a valid name (letters, digits and _, not starting with a digit, at most 64)`);
  }
  if (RESERVED_NAMES.has(name) || name.startsWith("__")) definitionError(path, `${JSON.stringify(name)} is a reserved name`);
  return name;
}

const FIXED_INTS: Record<string, { bits: number; signed: boolean }> = {
  u8: { bits: 8, signed: false }, u16: { bits: 16, signed: false }, u24: { bits: 24, signed: false },
  u32: { bits: 32, signed: false }, u48: { bits: 48, signed: false }, u64: { bits: 64, signed: false },
  i8: { bits: 8, signed: true }, i16: { bits: 16, signed: true }, i24: { bits: 24, signed: true },
  i32: { bits: 32, signed: true }, i48: { bits: 48, signed: true }, i64: { bits: 64, signed: true },
};

const PREFIX_BITS = { u8: 8, u16: 16, u32: 32, varint: 8 } as const;

/** Compile-time scope: names declared so far per level. */
class Scope {
  constructor(readonly levels: Map<string, FieldPlan>[]) {}
  resolve(name: string, path: string): FieldRef {
    for (let level = this.levels.length - 1; level >= 0; level--) {
      if (this.levels[level].has(name)) return { level, name };
    }
    return definitionError(path, `refers to ${JSON.stringify(name)}, which is not an earlier field in scope`);
  }
  lookup(ref: FieldRef): FieldPlan | undefined {
    return this.levels[ref.level]?.get(ref.name);
  }
  child(): Scope {
    return new Scope([...this.levels, new Map()]);
  }
  get top(): Map<string, FieldPlan> {
    return this.levels[this.levels.length - 1];
  }
}

function numberEquals(a: unknown, b: number | string | boolean): boolean {
  if (typeof a === "bigint" && typeof b === "number") return a === BigInt(Math.trunc(b)) && Number.isInteger(b);
  if (typeof a === "boolean" && typeof b === "number") return (a ? 1 : 0) === b;
  return a === b;
}

/** Whether a value equals an item of `list` (as {@link numberEquals}); a set lookup for long lists. */
function listTest(list: (number | string)[]): (value: unknown) => boolean {
  const scan = (value: unknown): boolean => list.some((item) => numberEquals(value, item));
  if (list.length <= LINEAR_CASE_VALUES) return scan;
  const items = new Set<unknown>(list);
  return (value) => {
    if (typeof value === "boolean") return items.has(value ? 1 : 0);
    if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? items.has(Number(value)) : scan(value);
    return items.has(value);
  };
}

function buildCondition(condition: ConditionDefinition, scope: Scope, path: string): ConditionPlan {
  const ref = scope.resolve(checkIdentifier(condition.field, `${path}/field`), `${path}/field`);
  const tests: ((value: unknown) => boolean)[] = [];
  if (condition.equals !== undefined) {
    const expected = condition.equals;
    tests.push((value) => numberEquals(value, expected));
  }
  if (condition.notEquals !== undefined) {
    const expected = condition.notEquals;
    tests.push((value) => value !== undefined && !numberEquals(value, expected));
  }
  if (condition.in !== undefined) {
    const includes = listTest(condition.in);
    tests.push((value) => includes(value));
  }
  if (condition.notIn !== undefined) {
    const includes = listTest(condition.notIn);
    tests.push((value) => value !== undefined && !includes(value));
  }
  if (condition.bitsSet !== undefined) {
    const mask = condition.bitsSet;
    tests.push((value) => typeof value === "number" && (value & mask) === mask);
  }
  if (tests.length === 0) tests.push((value) => value !== undefined && value !== null && value !== false && value !== 0 && value !== 0n);
  const test = tests.length === 1 ? tests[0] : (value: unknown) => tests.every((item) => item(value));
  return { ref, test };
}

/** Smallest number of bits a node can occupy. */
export function minimumBits(node: NodePlan): number {
  switch (node.kind) {
    case "int":
    case "quantized":
    case "scaled":
    case "bool":
    case "float":
      return node.bits;
    case "varint":
      return 8;
    case "intBytes":
    case "plugin":
      return 0;
    case "bytes":
      if (node.length.kind === "fixed") return Math.min(node.length.bytes * 8, 2 ** 40);
      if (node.length.kind === "prefix") return PREFIX_BITS[node.length.prefix];
      return 0;
    case "struct":
      return Math.min(
        node.fields.reduce((sum, field) => sum + (field.when === undefined ? minimumBits(field.node) : 0), 0),
        2 ** 40,
      );
    case "array":
      if (node.count.kind === "fixed") return Math.min(node.count.count * node.minElementBits, 2 ** 40);
      if (node.count.kind === "prefix") return PREFIX_BITS[node.count.prefix];
      return 0;
    case "switch": {
      const all = node.cases.map((item) => minimumBits(item.struct));
      if (node.fallback !== undefined) all.push(minimumBits(node.fallback));
      return all.length === 0 ? 0 : Math.min(...all);
    }
  }
}

/**
 * Whether a node can never consume input: every way through it reads zero bits
 * (an empty struct, zero-length bytes, a fixed count of 0, a switch whose cases
 * are all like that). Plugins and byte-length integers may consume, so they are not.
 */
export function neverConsumes(node: NodePlan): boolean {
  switch (node.kind) {
    case "bytes":
      return node.length.kind === "fixed" && node.length.bytes === 0;
    case "struct":
      return node.fields.every((field) => neverConsumes(field.node));
    case "array":
      return (node.count.kind === "fixed" && node.count.count === 0) || neverConsumes(node.of);
    case "switch":
      return node.cases.every((item) => neverConsumes(item.struct)) && (node.fallback === undefined || neverConsumes(node.fallback));
    default:
      return false;
  }
}

/** Whether a node contains a plugin field (whose size the definition cannot know). */
export function containsPlugin(node: NodePlan): boolean {
  switch (node.kind) {
    case "plugin":
      return true;
    case "struct":
      return node.fields.some((field) => containsPlugin(field.node));
    case "array":
      return containsPlugin(node.of);
    case "switch":
      return node.cases.some((item) => containsPlugin(item.struct)) || (node.fallback !== undefined && containsPlugin(node.fallback));
    default:
      return false;
  }
}

/**
 * Static decode cost of a node in work units: 1 per node, struct fields summed,
 * the largest switch case, and 1 for an array (its elements are charged by the
 * array itself at run time, `count × elementWork`). Capped at 2^30.
 */
export function nodeWork(node: NodePlan): number {
  switch (node.kind) {
    case "struct":
      return Math.min(2 ** 30, node.fields.reduce((sum, field) => sum + nodeWork(field.node), 1));
    case "switch": {
      let largest = node.fallback === undefined ? 0 : nodeWork(node.fallback);
      for (const item of node.cases) largest = Math.max(largest, nodeWork(item.struct));
      return 1 + largest;
    }
    default:
      return 1;
  }
}

/** Static decode cost of a field list in work units (see {@link nodeWork}). */
export function fieldsWork(fields: FieldPlan[]): number {
  return Math.min(2 ** 30, fields.reduce((sum, field) => sum + nodeWork(field.node), 0));
}

function fieldHasCondition(field: FieldPlan): boolean {
  return field.when !== undefined;
}

function caseValues(value: number | string | (number | string)[]): (number | string)[] {
  return Array.isArray(value) ? value : [value];
}

/** Cases listing more values than this get a lookup map instead of a linear scan. */
const LINEAR_CASE_VALUES = 16;

/** Value -> index of the first case listing it, for switches with many case values. */
function caseLookup(cases: { values: (number | string)[] }[]): Map<number | string, number> | undefined {
  if (cases.reduce((sum, item) => sum + item.values.length, 0) <= LINEAR_CASE_VALUES) return undefined;
  const lookup = new Map<number | string, number>();
  cases.forEach((item, index) => {
    for (const value of item.values) if (!lookup.has(value)) lookup.set(value, index);
  });
  return lookup;
}

/** Smallest number of bits a field list can occupy. */
function fieldsMinimumBits(fields: FieldPlan[]): number {
  return minimumBits({ kind: "struct", level: 0, fields });
}

/**
 * A body repeated until the end must read input in every frame, or it could
 * only repeat the same empty frame: rejects a path through the selector whose
 * frame header + prefixes + message may be empty (unless a plugin reads it).
 */
function checkFramesConsume(select: SelectPlan, before: FieldPlan[], path: string): void {
  const fields = select.kind === "message" ? [...before, ...select.message.fields] : [...before, ...select.prefix];
  if (fieldsMinimumBits(fields) > 0 || fields.some((field) => containsPlugin(field.node))) return;
  if (select.kind === "message") {
    definitionError(path, `untilEnd needs frames that always read input, but message ${JSON.stringify(select.message.name)} may be empty: give it a frame header, a type prefix or a length`);
  }
  for (const item of select.cases) checkFramesConsume(item.select, fields, path);
  if (select.fallback !== undefined) checkFramesConsume(select.fallback, fields, path);
}

/** Builds the normalized plan of a (schema-valid) definition; semantic errors throw `E_DEFINITION_INVALID`. */
export function buildPlan(definition: ProtocolDefinition): ProtocolPlan {
  const types = definition.types ?? {};
  for (const typeName of Object.keys(types)) checkIdentifier(typeName, `/types/${typeName}`);
  const defaultLittle = definition.byteOrder === "little";
  let nodeCount = 0;

  const buildFields = (fields: FieldDefinition[], scope: Scope, jsonPath: string, namePath: string, depth: number, refStack: string[]): FieldPlan[] => {
    const result: FieldPlan[] = [];
    fields.forEach((field, index) => {
      const path = `${jsonPath}/${index}`;
      const name = checkIdentifier(field.name, `${path}/name`);
      if (scope.top.has(name)) definitionError(`${path}/name`, `duplicate field name ${JSON.stringify(name)}`);
      const when = field.when === undefined ? undefined : buildCondition(field.when, scope, `${path}/when`);
      const plan = buildField(field, name, scope, path, `${namePath}${namePath === "" ? "" : "."}${name}`, depth, refStack);
      plan.when = when;
      scope.top.set(name, plan);
      result.push(plan);
    });
    return result;
  };

  const buildField = (field: FieldDefinition, name: string, scope: Scope, path: string, namePath: string, depth: number, refStack: string[]): FieldPlan => {
    const node = buildNode(field, scope, path, namePath, depth, refStack);
    if ((field.scale !== undefined || field.offset !== undefined) && node.kind !== "scaled") {
      definitionError(`${path}/${field.scale !== undefined ? "scale" : "offset"}`, `scale/offset apply to integers of at most ${MAX_SCALED_BITS} bits, not ${field.type}`);
    }
    if (field.order !== undefined && node.kind !== "array") definitionError(`${path}/order`, "order applies to arrays whose struct elements carry roles");
    const numeric =
      node.kind === "int" || node.kind === "varint" || node.kind === "float" || node.kind === "intBytes" || node.kind === "bool" || node.kind === "scaled";
    let constraint: ConstraintPlan | undefined;
    if (node.kind !== "quantized" && (field.min !== undefined || field.max !== undefined || field.enum !== undefined)) {
      if ((field.min !== undefined || field.max !== undefined) && !numeric) definitionError(path, `min/max apply to numbers, not ${field.type}`);
      constraint = { min: field.min, max: field.max, values: field.enum === undefined ? undefined : new Set(field.enum) };
    }
    if (field.maxLength !== undefined && node.kind !== "bytes") definitionError(`${path}/maxLength`, "maxLength applies to bytes and string fields");
    if (field.role !== undefined) checkRole(field, node, path);
    return {
      name,
      path: namePath,
      node,
      when: undefined,
      constraint,
      derived: undefined,
      defaultValue: field.enum !== undefined && field.enum.length === 1 ? field.enum[0] : undefined,
      role: field.role,
      unit: field.unit,
      ticksPerSecond: field.ticksPerSecond,
      echoPhase: field.echoPhase,
    };
  };

  const checkRole = (field: FieldDefinition, node: NodePlan, path: string): void => {
    const role = field.role!;
    if ((role === "echoTime" || role === "echoId") && field.echoPhase === undefined) {
      definitionError(`${path}/echoPhase`, `role ${role} needs echoPhase "request" or "reply"`);
    }
    if (role === "inputCount") {
      if (node.kind !== "array" && node.kind !== "int") definitionError(`${path}/role`, "inputCount applies to an array or an integer");
      return;
    }
    if (role === "sessionId" || role === "channel" || role === "ackChannel" || role === "echoTime" || role === "echoId" || role === "messageType" || role === "mac" || role === "checksum") {
      return;
    }
    if (COUNTER_ROLES.has(role) && (node.kind === "scaled" || (role === "reliableId" && node.kind !== "int" && node.kind !== "varint" && node.kind !== "intBytes"))) {
      definitionError(`${path}/role`, `role ${role} is a counter: it needs a plain integer field (no scale/offset), not ${node.kind === "scaled" ? "a scaled integer" : field.type}`);
    }
    const numeric =
      node.kind === "int" || node.kind === "varint" || node.kind === "float" || node.kind === "quantized" || node.kind === "intBytes" || node.kind === "scaled";
    if (role === "reliable" && (node.kind === "bool" || numeric)) return;
    if (!numeric) definitionError(`${path}/role`, `role ${role} needs a numeric field, not ${field.type}`);
  };

  const intPlan = (bits: number | undefined, signed: boolean, field: FieldDefinition, path: string): NodePlan => {
    if (bits === undefined || !Number.isInteger(bits) || bits < 1 || bits > 64) definitionError(`${path}/bits`, "integers need bits between 1 and 64");
    const little = (field.byteOrder ?? definition.byteOrder) === "little";
    if (field.byteOrder === "little" && bits % 8 !== 0) definitionError(`${path}/byteOrder`, "little-endian integers need a whole number of bytes");
    if (field.scale !== undefined || field.offset !== undefined) return scaledPlan(bits, signed, little && bits % 8 === 0, field, path);
    return { kind: "int", bits, signed, little: little && bits % 8 === 0, big: bits > 53 };
  };

  const scaledPlan = (bits: number, signed: boolean, little: boolean, field: FieldDefinition, path: string): NodePlan => {
    if (bits > MAX_SCALED_BITS) definitionError(`${path}/${field.scale !== undefined ? "scale" : "offset"}`, `scale/offset apply to integers of at most ${MAX_SCALED_BITS} bits, not ${bits}`);
    const scale = field.scale ?? 1;
    const offset = field.offset ?? 0;
    if (typeof scale !== "number" || !Number.isFinite(scale) || scale === 0) definitionError(`${path}/scale`, "scale must be a finite number other than 0");
    if (typeof offset !== "number" || !Number.isFinite(offset)) definitionError(`${path}/offset`, "offset must be a finite number");
    // raw -> raw × scale + offset -> round((value - offset) / scale) is exact while the error of
    // those three float operations, about (2^bits + |offset / scale|) × 2^-51 raw steps, stays below half a step.
    if (2 ** bits + Math.abs(offset / scale) >= 2 ** SCALED_EXACT_BITS) {
      definitionError(`${path}/offset`, `|offset / scale| + 2^bits must stay below 2^${SCALED_EXACT_BITS} for every value to round-trip exactly (offset ${offset}, scale ${scale}, ${bits} bits)`);
    }
    return { kind: "scaled", bits, signed, little, scale, offset };
  };

  const buildNode = (field: FieldDefinition, scope: Scope, path: string, namePath: string, depth: number, refStack: string[]): NodePlan => {
    nodeCount += 1;
    if (nodeCount > MAX_PLAN_NODES) definitionError(path, `definition expands to more than ${MAX_PLAN_NODES} fields`);
    if (depth > MAX_NESTING_DEPTH) definitionError(path, `nesting deeper than ${MAX_NESTING_DEPTH}`);
    const type = field.type;
    const fixed = FIXED_INTS[type];
    if (fixed !== undefined) {
      if (field.bits !== undefined && field.bits !== fixed.bits) definitionError(`${path}/bits`, `${type} is ${fixed.bits} bits`);
      return intPlan(fixed.bits, fixed.signed, field, path);
    }
    switch (type) {
      case "uint":
      case "int": {
        if (field.byteLength !== undefined) {
          const ref = scope.resolve(checkIdentifier(field.byteLength.field, `${path}/byteLength/field`), `${path}/byteLength/field`);
          return { kind: "intBytes", signed: type === "int", little: (field.byteOrder ?? definition.byteOrder) === "little", ref };
        }
        return intPlan(field.bits, type === "int", field, path);
      }
      case "varint":
        return { kind: "varint", zigzag: field.zigzag === true };
      case "f32":
      case "f64":
        return { kind: "float", bits: type === "f32" ? 32 : 64, little: (field.byteOrder ?? definition.byteOrder) === "little" };
      case "quantized": {
        const { min, max, bits } = field;
        if (min === undefined || max === undefined || !(min < max)) definitionError(path, "quantized needs min < max");
        if (bits === undefined || bits < 1 || bits > 32) definitionError(`${path}/bits`, "quantized needs bits between 1 and 32");
        if (field.byteOrder === "little" && bits % 8 !== 0) definitionError(`${path}/byteOrder`, "little-endian quantized values need a whole number of bytes");
        // Like integers: whole-byte values follow the field's (or the definition's) byte order; bit fields are packed MSB first.
        const little = (field.byteOrder ?? definition.byteOrder) === "little" && bits % 8 === 0;
        return { kind: "quantized", min, max, bits, steps: 2 ** bits - 1, little };
      }
      case "bool": {
        const bits = field.bits ?? 8;
        if (bits < 1 || bits > 8) definitionError(`${path}/bits`, "bool needs bits between 1 and 8");
        return { kind: "bool", bits };
      }
      case "bytes":
      case "string": {
        if (field.length === undefined) definitionError(path, `${type} needs a length (bytes, "rest", {"field"} or {"prefix"})`);
        let length: LengthPlan;
        const spec = field.length;
        if (typeof spec === "number") length = { kind: "fixed", bytes: spec };
        else if (spec === "rest") length = { kind: "rest" };
        else if ("field" in spec) length = { kind: "field", ref: scope.resolve(checkIdentifier(spec.field, `${path}/length/field`), `${path}/length/field`), derived: false };
        else length = { kind: "prefix", prefix: spec.prefix };
        if (length.kind === "fixed" && field.maxLength !== undefined && length.bytes > field.maxLength) {
          definitionError(`${path}/length`, "fixed length exceeds maxLength");
        }
        if (length.kind === "field") {
          length.derived = markDerived(scope, length.ref, "byteLength", field.name ?? "", path, type === "string" && field.encoding === "ascii");
        }
        return { kind: "bytes", text: type === "string" ? (field.encoding ?? "utf8") : null, length, maxLength: field.maxLength };
      }
      case "struct": {
        if (field.fields === undefined) definitionError(path, "struct needs fields");
        const child = scope.child();
        const fields = buildFields(field.fields, child, `${path}/fields`, namePath, depth + 1, refStack);
        return { kind: "struct", level: child.levels.length - 1, fields };
      }
      case "array": {
        if (field.of === undefined) definitionError(path, "array needs `of`");
        if (field.count === undefined) definitionError(path, "array needs a count (number, \"untilEnd\", {\"field\"} or {\"prefix\"})");
        const spec = field.count;
        let count: CountPlan;
        if (typeof spec === "number") count = { kind: "fixed", count: spec };
        else if (spec === "untilEnd") count = { kind: "untilEnd" };
        else if ("field" in spec) count = { kind: "field", ref: scope.resolve(checkIdentifier(spec.field, `${path}/count/field`), `${path}/count/field`), derived: false };
        else count = { kind: "prefix", prefix: spec.prefix };
        if (field.of.name !== undefined) definitionError(`${path}/of/name`, "array elements have no name");
        if (field.of.role !== undefined) {
          definitionError(`${path}/of/role`, "array elements carry roles through the named fields of a struct element (with the array's order)");
        }
        const of = buildNode(field.of, scope, `${path}/of`, `${namePath}[]`, depth + 1, refStack);
        const elementRoles = of.kind === "struct" ? collectElementRoles(of.fields, of.level) : [];
        const carriesRoles = elementRoles.length > 0 && !elementRoles.some((item) => item.role === "entityId");
        if (carriesRoles && field.order === undefined) {
          definitionError(
            `${path}/order`,
            `the elements carry roles (${[...new Set(elementRoles.map((item) => item.role))].join(", ")}): say which end is the newest element with order "newestFirst" or "oldestFirst"`,
          );
        }
        if (field.order !== undefined && !carriesRoles) definitionError(`${path}/order`, "order applies to arrays whose struct elements carry roles (and no entityId)");
        const minElementBits = minimumBits(of);
        if (neverConsumes(of)) {
          definitionError(`${path}/of`, "array elements never read any input (empty struct, zero-length bytes, ...): the array carries nothing and could only repeat");
        }
        if (count.kind === "untilEnd" && minElementBits === 0 && !containsPlugin(of)) {
          definitionError(`${path}/count`, "untilEnd needs elements that always read input, but this element may be empty (0 bits): give a count, or make the element read something");
        }
        if (minElementBits === 0 && field.maxCount === undefined && count.kind !== "fixed") {
          definitionError(`${path}/maxCount`, "arrays whose elements may be empty need maxCount");
        }
        if (count.kind === "fixed" && count.count > MAX_ZERO_SIZE_ELEMENTS && minElementBits === 0) {
          definitionError(`${path}/count`, `fixed count above ${MAX_ZERO_SIZE_ELEMENTS} of empty elements`);
        }
        if (count.kind === "field") count.derived = markDerived(scope, count.ref, "count", field.name ?? "", path);
        return { kind: "array", of, count, maxCount: field.maxCount, minElementBits, elementWork: nodeWork(of), order: field.order };
      }
      case "switch": {
        if (field.on === undefined || field.cases === undefined) definitionError(path, "switch needs `on` and `cases`");
        const on = scope.resolve(checkIdentifier(field.on, `${path}/on`), `${path}/on`);
        const cases = field.cases.map((item, index) => {
          const child = scope.child();
          const fields = buildFields(item.fields, child, `${path}/cases/${index}/fields`, namePath, depth + 1, refStack);
          return { values: caseValues(item.value), struct: { kind: "struct" as const, level: child.levels.length - 1, fields } };
        });
        let fallback: StructPlan | undefined;
        if (field.default !== undefined) {
          const child = scope.child();
          const fields = buildFields(field.default.fields, child, `${path}/default/fields`, namePath, depth + 1, refStack);
          fallback = { kind: "struct", level: child.levels.length - 1, fields };
        }
        return { kind: "switch", on, cases, fallback, lookup: caseLookup(cases) };
      }
      case "ref": {
        const target = field.ref;
        if (target === undefined || !Object.hasOwn(types, target)) definitionError(`${path}/ref`, `unknown type ${JSON.stringify(target)}`);
        if (refStack.includes(target)) definitionError(`${path}/ref`, `recursive type ${[...refStack, target].join(" -> ")}`);
        const referenced = types[target];
        if (referenced.name !== undefined) definitionError(`/types/${target}/name`, "named types have no field name");
        return buildNode(referenced, scope, `/types/${target}`, namePath, depth + 1, [...refStack, target]);
      }
      case "plugin": {
        if (field.plugin === undefined) definitionError(path, "plugin fields need `plugin`");
        return { kind: "plugin", plugin: checkIdentifier(field.plugin, `${path}/plugin`), options: field.options ?? {} };
      }
    }
    return definitionError(`${path}/type`, `unknown type ${JSON.stringify(type)}`);
  };

  const markDerived = (scope: Scope, ref: FieldRef, kind: "count" | "byteLength", target: string, path: string, ascii = false): boolean => {
    const source = scope.lookup(ref);
    if (source === undefined) return false;
    if (source.node.kind !== "int" && source.node.kind !== "varint" && source.node.kind !== "intBytes") {
      definitionError(path, `length/count field ${JSON.stringify(ref.name)} must be an integer`);
    }
    // Only siblings (same struct) are computed by the encoder; other references use the given value.
    if (ref.level !== scope.levels.length - 1 || source.derived !== undefined || fieldHasCondition(source)) return false;
    source.derived = ascii ? { kind, target, ascii } : { kind, target };
    return true;
  };

  const buildTransforms = (transforms: TransformDefinition[] | undefined, scope: Scope, path: string): TransformPlan[] =>
    (transforms ?? []).map((transform, index): TransformPlan => {
      const at = `${path}/${index}`;
      const when = transform.when === undefined ? undefined : buildCondition(transform.when, scope, `${at}/when`);
      if (transform.kind === "xor") {
        const ref = scope.resolve(checkIdentifier(transform.keyField, `${at}/keyField`), `${at}/keyField`);
        const keys = new Map<number, Uint8Array>();
        for (const [value, hex] of Object.entries(transform.keys)) {
          const number = Number(value);
          if (!Number.isSafeInteger(number) || String(number) !== value) {
            definitionError(`${at}/keys/${value}`, `${JSON.stringify(value)} is not a key value: write the field value as a decimal integer without leading zeros, at most 2^53 - 1`);
          }
          keys.set(number, hexToBytes(hex));
        }
        const small = [...keys.keys()].filter((value) => Number.isInteger(value) && value >= 0 && value < 256);
        const table: (Uint8Array | undefined)[] = new Array(small.length === 0 ? 0 : Math.max(...small) + 1).fill(undefined);
        for (const value of small) table[value] = keys.get(value);
        return { kind: "xor", ref, keys, table, when };
      }
      if (transform.kind === "aead") {
        const parts = (list: BytePartDefinition[], partPath: string): BytePartPlan[] =>
          list.map((part, partIndex): BytePartPlan => {
            const where = `${partPath}/${partIndex}`;
            if ("hex" in part) return { kind: "bytes", bytes: hexToBytes(part.hex) };
            if ("ascii" in part) return { kind: "bytes", bytes: Uint8Array.from(part.ascii, (char) => char.charCodeAt(0) & 0xff) };
            if ("zeros" in part) return { kind: "bytes", bytes: new Uint8Array(part.zeros) };
            if ("field" in part) {
              const ref = scope.resolve(checkIdentifier(part.field, `${where}/field`), `${where}/field`);
              return { kind: "field", ref, bytes: part.bytes, little: part.byteOrder === "little" };
            }
            if ("uint" in part) {
              const value = BigInt(part.uint);
              if (value >= 1n << BigInt(part.bytes * 8)) definitionError(`${where}/uint`, `does not fit in ${part.bytes} bytes`);
              const bytes = new Uint8Array(part.bytes);
              for (let byte = 0; byte < part.bytes; byte++) {
                const shift = BigInt(8 * (part.byteOrder === "little" ? byte : part.bytes - 1 - byte));
                bytes[byte] = Number((value >> shift) & 0xffn);
              }
              return { kind: "bytes", bytes };
            }
            return { kind: "datagramBytes", offset: part.datagramBytes.offset, length: part.datagramBytes.length };
          });
        const nonce = parts(transform.nonce, `${at}/nonce`);
        const nonceLength = nonce.reduce((sum, part) => sum + (part.kind === "bytes" ? part.bytes.length : part.kind === "field" ? part.bytes : part.length), 0);
        const expected = transform.algorithm === "xchacha20-poly1305" ? 24 : 12;
        if (nonceLength !== expected) definitionError(`${at}/nonce`, `${transform.algorithm} needs a ${expected}-byte nonce, parts give ${nonceLength}`);
        const keyLength = transform.algorithm === "aes-128-gcm" ? 16 : 32;
        const key = (hex: string | undefined, keyPath: string): Uint8Array | undefined => {
          if (hex === undefined) return undefined;
          const bytes = hexToBytes(hex);
          if (bytes.length !== keyLength) definitionError(keyPath, `${transform.algorithm} needs a ${keyLength}-byte key`);
          return bytes;
        };
        const keys = transform.keys ?? {};
        return {
          kind: "aead",
          algorithm: transform.algorithm,
          nonce,
          aad: parts(transform.aad ?? [], `${at}/aad`),
          keys: {
            clientToServer: key(keys.clientToServer ?? keys.both, `${at}/keys`),
            serverToClient: key(keys.serverToClient ?? keys.both, `${at}/keys`),
          },
          keyName: transform.keyName ?? definition.name,
          when,
          path: at,
        };
      }
      return { kind: "plugin", plugin: checkIdentifier(transform.plugin, `${at}/plugin`), options: transform.options ?? {}, when };
    });

  checkIdentifier(definition.name, "/name");
  const headerScope = new Scope([new Map()]);
  const header = buildFields(definition.header ?? [], headerScope, "/header", "header", 1, []);
  void defaultLittle;
  const transforms = buildTransforms(definition.transforms, headerScope, "/transforms");

  // Messages: level 1 holds frame header + prefix + message fields.
  const messageDefinitions = new Map<string, { definition: MessageDefinition; index: number }>();
  definition.messages.forEach((message, index) => {
    const name = checkIdentifier(message.name, `/messages/${index}/name`);
    if (messageDefinitions.has(name)) definitionError(`/messages/${index}/name`, `duplicate message ${JSON.stringify(name)}`);
    messageDefinitions.set(name, { definition: message, index });
  });
  const messages = new Map<string, MessagePlan>();

  const buildMessage = (name: string, path: string, frameScope: Scope, framePrefix: FieldPlan[], selectors: MessagePlan["selectors"], body: Extract<BodyPlan, { kind: "frames" }>): MessagePlan => {
    const entry = messageDefinitions.get(name);
    if (entry === undefined) definitionError(path, `unknown message ${JSON.stringify(name)}`);
    const existing = messages.get(name);
    if (existing !== undefined) return existing;
    const scope = new Scope([frameScope.levels[0], new Map(frameScope.levels[1])]);
    const fields = buildFields(entry.definition.fields, scope, `/messages/${entry.index}/fields`, name, 2, []);
    const plan: MessagePlan = {
      name,
      index: entry.index,
      channel: entry.definition.channel,
      reliable: entry.definition.reliable,
      ackChannel: entry.definition.ackChannel,
      fields,
      roles: collectRoles([...framePrefix, ...fields], `/messages/${entry.index}/fields`, 1),
      selectors,
      framePrefix,
      work: 1 + fieldsWork(framePrefix) + fieldsWork(fields),
      body,
    };
    messages.set(name, plan);
    return plan;
  };

  const buildSelect = (
    select: SelectDefinition,
    scope: Scope,
    path: string,
    framePrefix: FieldPlan[],
    selectors: MessagePlan["selectors"],
    body: Extract<BodyPlan, { kind: "frames" }>,
    depth: number,
  ): SelectPlan => {
    if (depth > MAX_NESTING_DEPTH) definitionError(path, `select nesting deeper than ${MAX_NESTING_DEPTH}`);
    if (select.message !== undefined) {
      return { kind: "message", message: buildMessage(select.message, `${path}/message`, scope, framePrefix, selectors, body) };
    }
    if (select.on === undefined || select.cases === undefined) definitionError(path, "select needs `message`, or `on` and `cases`");
    const childScope = new Scope([scope.levels[0], new Map(scope.levels[1])]);
    const prefix = buildFields(select.prefix ?? [], childScope, `${path}/prefix`, "frame", 2, []);
    const on = childScope.resolve(checkIdentifier(select.on, `${path}/on`), `${path}/on`);
    const nextPrefix = [...framePrefix, ...prefix];
    const cases = select.cases.map((item, index) => {
      const values = caseValues(item.value);
      const nextSelectors = [...selectors, { level: on.level, name: on.name, value: values[0], values }];
      let plan: SelectPlan;
      if (item.message !== undefined) plan = { kind: "message", message: buildMessage(item.message, `${path}/cases/${index}/message`, childScope, nextPrefix, nextSelectors, body) };
      else if (item.select !== undefined) plan = buildSelect(item.select, childScope, `${path}/cases/${index}/select`, nextPrefix, nextSelectors, body, depth + 1);
      else definitionError(`${path}/cases/${index}`, "a case needs `message` or `select`");
      return { values, select: plan };
    });
    const fallback = select.default === undefined ? undefined : buildSelect(select.default, childScope, `${path}/default`, nextPrefix, selectors, body, depth + 1);
    return { kind: "switch", prefix, on, cases, fallback };
  };

  const buildBody = (body: BodyDefinition, path: string, depth: number): BodyPlan => {
    if (depth > MAX_NESTING_DEPTH) definitionError(path, `body nesting deeper than ${MAX_NESTING_DEPTH}`);
    if (body.switch !== undefined) {
      const on = headerScope.resolve(checkIdentifier(body.switch, `${path}/switch`), `${path}/switch`);
      const cases = (body.cases ?? []).map((item, index) => ({ values: caseValues(item.value), body: buildBody(item.body, `${path}/cases/${index}/body`, depth + 1) }));
      const fallback = body.default === undefined ? undefined : buildBody(body.default, `${path}/default`, depth + 1);
      return { kind: "switch", on, cases, fallback };
    }
    if (body.select === undefined) definitionError(path, "a body needs `select` (or `switch`)");
    const scope = new Scope([headerScope.levels[0], new Map()]);
    const frameHeader = buildFields(body.frameHeader ?? [], scope, `${path}/frameHeader`, "frame", 2, []);
    let length: { field: string; includesHeader: boolean } | undefined;
    if (body.length !== undefined) {
      const field = scope.top.get(checkIdentifier(body.length.field, `${path}/length/field`));
      if (field === undefined) definitionError(`${path}/length/field`, `${JSON.stringify(body.length.field)} is not a frame header field`);
      if (field.node.kind !== "int" || field.node.big || field.when !== undefined) definitionError(`${path}/length/field`, "the frame length must be an unconditional integer of at most 53 bits");
      field.derived = { kind: "frameLength", target: "" };
      length = { field: field.name, includesHeader: body.length.includesHeader === true };
    }
    let count: FieldRef | undefined;
    if (body.count !== undefined) {
      const name = checkIdentifier(body.count.field, `${path}/count/field`);
      const field = headerScope.levels[0].get(name);
      if (field === undefined) definitionError(`${path}/count/field`, `${JSON.stringify(name)} is not a datagram header field`);
      if ((field.node.kind !== "int" && field.node.kind !== "varint") || field.when !== undefined) {
        definitionError(`${path}/count/field`, "the message count must be an unconditional integer header field");
      }
      if (body.repeat === "once") definitionError(`${path}/repeat`, "a body with a message count repeats: leave repeat out (or untilEnd)");
      count = { level: 0, name };
    }
    const plan: Extract<BodyPlan, { kind: "frames" }> = {
      kind: "frames",
      repeat: body.repeat === "untilEnd" || count !== undefined,
      count,
      maxMessages: body.maxMessages ?? 256,
      frameHeader,
      length,
      transforms: buildTransforms(body.transforms, scope, `${path}/transforms`),
      select: { kind: "message", message: undefined as unknown as MessagePlan },
    };
    plan.select = buildSelect(body.select, scope, `${path}/select`, frameHeader, [], plan, 0);
    if (plan.repeat && length === undefined && plan.transforms.length === 0) checkFramesConsume(plan.select, frameHeader, `${path}/repeat`);
    return plan;
  };

  const body = buildBody(definition.body, "/body", 0);
  const ordered = [...messages.values()].sort((a, b) => a.index - b.index);
  return {
    name: definition.name,
    header,
    headerRoles: collectRoles(header, "/header"),
    transforms,
    body,
    messages: ordered,
    messagesByName: messages,
  };
}

/** Counter roles: exact integers compared with serial arithmetic (never scaled). */
const COUNTER_ROLES = new Set(["sequence", "ack", "inputSequence", "tick", "reliableId"]);

/** Widest integer that may have a `scale`/`offset`. */
export const MAX_SCALED_BITS = 48;
/** `2^bits + |offset / scale|` must stay below 2^this for scaled values to round-trip exactly. */
const SCALED_EXACT_BITS = 50;

/** Role-tagged fields of an array element's struct (through nested structs, not nested arrays). */
function collectElementRoles(fields: FieldPlan[], baseLevel: number): RoleFieldPlan[] {
  const found: RoleFieldPlan[] = [];
  const walk = (list: FieldPlan[], prefix: string[]): void => {
    for (const field of list) {
      const path = [...prefix, field.name];
      if (field.role !== undefined && !(field.role === "inputCount" && field.node.kind === "array")) found.push(roleField(field.role, field, path, prefix, baseLevel));
      if (field.node.kind === "struct") walk(field.node.fields, path);
    }
  };
  walk(fields, []);
  return found;
}

/**
 * One role-tagged field at `path` (`prefix` = its enclosing structs, the list
 * at scope level `baseLevel + prefix.length`), with the path of its byte-length
 * field when it is a `byteLength` integer whose length field is in the same record.
 */
function roleField(role: string, field: FieldPlan, path: string[], prefix: string[], baseLevel: number): RoleFieldPlan {
  const node = field.node;
  if (node.kind !== "intBytes" || node.ref.level < baseLevel || node.ref.level > baseLevel + prefix.length) return { role, path, field };
  return { role, path, field, widthPath: [...prefix.slice(0, node.ref.level - baseLevel), node.ref.name] };
}

/**
 * Collects role-tagged fields of a field list (top level and through structs;
 * entity arrays and role-carrying element arrays separately). `jsonPath` names
 * the list in errors: a message may have one array whose elements carry roles.
 * `baseLevel` is the list's scope level (0 = datagram header, 1 = message).
 */
export function collectRoles(fields: FieldPlan[], jsonPath = "", baseLevel = 0): RolePlan {
  const plan: RolePlan = { scalars: [], entityArrays: [], inputCountArrays: [], elementArrays: [] };
  const walk = (list: FieldPlan[], prefix: string[]): void => {
    for (const field of list) {
      const path = [...prefix, field.name];
      if (field.role !== undefined) {
        if (field.role === "inputCount" && field.node.kind === "array") plan.inputCountArrays.push(path);
        else plan.scalars.push(roleField(field.role, field, path, prefix, baseLevel));
      }
      const node = field.node;
      if (node.kind === "struct") walk(node.fields, path);
      else if (node.kind === "array" && node.of.kind === "struct") {
        const element = collectElementRoles(node.of.fields, node.of.level);
        if (element.some((item) => item.role === "entityId")) plan.entityArrays.push({ path, entity: element });
        else if (element.length > 0) {
          if (plan.elementArrays.length > 0) {
            definitionError(
              jsonPath,
              `${plan.elementArrays[0].path.join(".")} and ${path.join(".")} both have elements with roles: a message may have one such array (its roles.elements)`,
            );
          }
          plan.elementArrays.push({ path, newestFirst: node.order !== "oldestFirst", element });
        }
      }
    }
  };
  walk(fields, []);
  return plan;
}
