import type { FieldRecord, FieldValue } from "../game-message.js";
import { MESSAGE_ROLE_PROPERTIES, type ElementRoles, type EntityRoles, type MessageRoles, type Vector3 } from "../roles.js";
import type { SerialNumber } from "../serial-number.js";
import { bytesToHex } from "./bits.js";
import type { FieldPlan, RoleFieldPlan, RolePlan } from "./plan.js";
import type { RolesOnlyHints } from "./roles-only-decode.js";
import { preferTaggedFields } from "./tagged-fields.js";

const UNIT_TO_US = { ns: 0.001, us: 1, ms: 1000, s: 1_000_000 } as const;

function valueAt(record: FieldRecord, path: string[]): FieldValue | undefined {
  let value: FieldValue | undefined = record;
  for (const name of path) {
    if (typeof value !== "object" || value === null || value instanceof Uint8Array || Array.isArray(value)) return undefined;
    value = (value as FieldRecord)[name];
  }
  return value;
}

/**
 * True when a `byteLength` integer is absent from the wire: its length field
 * (at `widthPath` in `record`) reads 0. Such a field decodes as 0 in `fields`
 * but carries no value, so no role is taken from it (a netcode
 * connection-request has no sequence, not sequence 0). Allocation-free.
 */
function isZeroWidth(record: FieldRecord, widthPath: string[] | undefined): boolean {
  if (widthPath === undefined) return false;
  const width = widthPath.length === 1 ? record[widthPath[0]] : valueAt(record, widthPath);
  return width === 0 || width === 0n;
}

function toNumber(value: FieldValue): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  return Number.NaN;
}

/** Largest bigint kept as a plain number in a counter role. */
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A counter role's exact value (`sequence`, `ack`, `inputSequence`, `tick`): a
 * plain number while it is a safe integer, the decoder's bigint beyond.
 */
function toSerial(value: FieldValue): SerialNumber {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return value <= MAX_SAFE_BIGINT && value >= -MAX_SAFE_BIGINT ? Number(value) : value;
  if (typeof value === "boolean") return value ? 1 : 0;
  return Number.NaN;
}

function toKey(value: FieldValue): string {
  if (value instanceof Uint8Array) return bytesToHex(value);
  return String(value);
}

function fieldBits(field: FieldPlan): number | undefined {
  const node = field.node;
  return node.kind === "int" || node.kind === "quantized" || node.kind === "bool" ? node.bits : undefined;
}

/**
 * Width of a counter field (where it wraps): the declared bits of an integer;
 * 64 for a variable-length integer or varint (a 1–8 byte netcode sequence is a
 * u64 with its leading zero bytes left out); undefined otherwise.
 */
function counterBits(field: FieldPlan): number | undefined {
  const node = field.node;
  if (node.kind === "int" || node.kind === "bool") return node.bits;
  if (node.kind === "intBytes" || node.kind === "varint") return 64;
  return undefined;
}

/** Widest clock field that is unwrapped (wider ones never wrap within a capture, and their µs values are not exact integers anyway). */
const MAX_WRAPPING_CLOCK_BITS = 52;

/**
 * Where a time field wraps, µs (2^bits × its unit; × |scale| for a scaled
 * integer, whose values repeat every 2^bits raw steps), or undefined for fields
 * that do not wrap.
 */
function clockModulusUs(field: FieldPlan): number | undefined {
  const node = field.node;
  if ((node.kind !== "int" && node.kind !== "scaled") || node.signed || node.bits > MAX_WRAPPING_CLOCK_BITS) return undefined;
  const period = 2 ** node.bits * (node.kind === "scaled" ? Math.abs(node.scale) : 1);
  if (field.ticksPerSecond !== undefined) return (period * 1_000_000) / field.ticksPerSecond;
  return period * UNIT_TO_US[field.unit ?? "us"];
}

/** Sets `roles[property]` only when the value is defined (the same object shape from every path). */
function setDefined(roles: Record<string, unknown>, property: string, value: number | undefined): void {
  if (value !== undefined) roles[property] = value;
}

function timeUs(value: FieldValue, field: FieldPlan): number {
  const number = toNumber(value);
  if (field.ticksPerSecond !== undefined) return (number * 1_000_000) / field.ticksPerSecond;
  return number * UNIT_TO_US[field.unit ?? "us"];
}

function setVector(current: Vector3 | undefined, axis: string, value: number): Vector3 {
  const vector = current ?? { x: 0, y: 0, z: 0 };
  if (axis === "x") vector.x = value;
  else if (axis === "y") vector.y = value;
  else vector.z = value;
  return vector;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** Applies one role value to a roles object. */
function applyRole(roles: Writable<MessageRoles> & Writable<EntityRoles>, role: string, value: FieldValue, field: FieldPlan): void {
  switch (role) {
    case "sequence":
      roles.sequence = toSerial(value);
      setDefined(roles, "sequenceBits", counterBits(field));
      return;
    case "ack":
      roles.ack = toSerial(value);
      return;
    case "ackBits":
      roles.ackBits = toNumber(value);
      roles.ackBitsWidth = fieldBits(field);
      return;
    case "ackChannel":
      roles.ackChannel = typeof value === "string" ? value : toNumber(value);
      return;
    case "ackDelay":
      roles.ackDelayUs = timeUs(value, field);
      return;
    case "channel":
      roles.channel = typeof value === "string" ? value : toNumber(value);
      return;
    case "reliable":
      roles.reliable = value === true || toNumber(value) !== 0;
      return;
    case "resendCount":
      roles.resendCount = toNumber(value);
      return;
    case "sendTime":
      roles.sendTimeUs = timeUs(value, field);
      setDefined(roles, "sendTimeModulusUs", clockModulusUs(field));
      return;
    case "echoId":
      roles.echoId = toKey(value);
      roles.echoKey = roles.echoId;
      roles.echoPhase = field.echoPhase;
      return;
    case "echoTime":
      // Both on one message: the id pairs request and reply, the time says which send of it.
      if (typeof value === "number" || typeof value === "bigint") roles.echoTimeUs = timeUs(value, field);
      if (roles.echoId === undefined) roles.echoKey = toKey(value);
      roles.echoPhase = field.echoPhase;
      return;
    case "reliableId":
      roles.reliableId = toSerial(value);
      setDefined(roles, "reliableIdBits", counterBits(field));
      return;
    case "aimYaw":
      roles.aimYawRad = toNumber(value);
      return;
    case "aimPitch":
      roles.aimPitchRad = toNumber(value);
      return;
    case "tick":
      roles.tick = toSerial(value);
      setDefined(roles, "tickBits", counterBits(field));
      return;
    case "playerId":
      roles.playerId = toNumber(value);
      return;
    case "entityId":
      roles.entityId = toNumber(value);
      return;
    case "position.x":
    case "position.y":
    case "position.z":
      roles.position = setVector(roles.position, role.slice(9), toNumber(value));
      return;
    case "velocity.x":
    case "velocity.y":
    case "velocity.z":
      roles.velocity = setVector(roles.velocity, role.slice(9), toNumber(value));
      return;
    case "rotation": {
      const number = toNumber(value);
      const current = roles.rotation;
      roles.rotation = current === undefined ? number : typeof current === "number" ? [current, number] : [...current, number];
      return;
    }
    case "inputSequence":
      roles.inputSequence = toSerial(value);
      setDefined(roles, "inputSequenceBits", counterBits(field));
      return;
    case "inputCount":
      roles.inputCount = toNumber(value);
      return;
    case "reportedRtt":
      roles.reportedRttMs = timeUs(value, { ...field, unit: field.unit ?? "ms" }) / 1000;
      return;
    case "targetTime":
      roles.targetTimeUs = timeUs(value, field);
      setDefined(roles, "targetTimeModulusUs", clockModulusUs(field));
      return;
    case "checksum":
      roles.checksum = toNumber(value);
      return;
    case "sessionId":
      roles.sessionId = toKey(value);
      return;
    default:
      // messageType and mac carry no normalized value.
      return;
  }
}

/** True when the plan has nothing to extract. */
export function isEmptyRolePlan(plan: RolePlan): boolean {
  return plan.scalars.length === 0 && plan.entityArrays.length === 0 && plan.inputCountArrays.length === 0 && plan.elementArrays.length === 0;
}

/**
 * Sets `roles.elements` from a role-carrying element array (newest first,
 * whatever the wire order) and fills the roles the message left unset from
 * the newest element. Shared by the interpreted and the generated role builders.
 */
export function extractElementRoles(spec: RolePlan["elementArrays"][number], record: FieldRecord, roles: MessageRoles): void {
  const value = valueAt(record, spec.path);
  if (!Array.isArray(value)) return;
  const elements: ElementRoles[] = [];
  const count = value.length;
  for (let index = 0; index < count; index++) {
    const element = value[spec.newestFirst ? index : count - 1 - index] as FieldRecord;
    const target = {} as Writable<MessageRoles> & Writable<EntityRoles>;
    for (const role of spec.element) {
      const roleValue = valueAt(element, role.path);
      if (roleValue !== undefined && roleValue !== null && !isZeroWidth(element, role.widthPath)) applyRole(target, role.role, roleValue, role.field);
    }
    elements.push(target);
  }
  const writable = roles as Record<string, unknown>;
  writable.elements = elements;
  const newest = elements[0] as Record<string, unknown> | undefined;
  if (newest !== undefined) for (const key in newest) if (writable[key] === undefined) writable[key] = newest[key];
}

/** Adds the roles found in `record` (per `plan`) to `roles`. */
export function extractRoles(plan: RolePlan, record: FieldRecord, roles: MessageRoles): void {
  const target = roles as Writable<MessageRoles> & Writable<EntityRoles>;
  for (const scalar of plan.scalars) {
    const value = scalar.path.length === 1 ? record[scalar.path[0]] : valueAt(record, scalar.path);
    if (value !== undefined && value !== null && !isZeroWidth(record, scalar.widthPath)) applyRole(target, scalar.role, value, scalar.field);
  }
  for (const path of plan.inputCountArrays) {
    const value = valueAt(record, path);
    if (Array.isArray(value)) target.inputCount = value.length;
  }
  for (const spec of plan.entityArrays) {
    const value = valueAt(record, spec.path);
    if (!Array.isArray(value)) continue;
    const entities: EntityRoles[] = [];
    for (const element of value as FieldRecord[]) {
      const entity = { entityId: 0 } as Writable<MessageRoles> & Writable<EntityRoles>;
      for (const role of spec.entity) {
        const roleValue = valueAt(element, role.path);
        if (roleValue !== undefined && roleValue !== null && !isZeroWidth(element, role.widthPath)) applyRole(entity, role.role, roleValue, role.field);
      }
      // One shape for every entity (absent roles are present and undefined), as the compiled builder makes them.
      entities.push({ entityId: entity.entityId, position: entity.position, velocity: entity.velocity, rotation: entity.rotation });
    }
    target.entities = entities;
  }
  for (const spec of plan.elementArrays) extractElementRoles(spec, record, roles);
}

/** Role properties a role name can set (for copying header roles). */
const ROLE_PROPERTIES: Record<string, string[]> = {
  sequence: ["sequence", "sequenceBits"],
  ack: ["ack"],
  ackBits: ["ackBits", "ackBitsWidth"],
  ackChannel: ["ackChannel"],
  ackDelay: ["ackDelayUs"],
  channel: ["channel"],
  reliable: ["reliable"],
  resendCount: ["resendCount"],
  sendTime: ["sendTimeUs", "sendTimeModulusUs"],
  echoTime: ["echoKey", "echoPhase", "echoTimeUs"],
  echoId: ["echoKey", "echoPhase", "echoId"],
  reliableId: ["reliableId", "reliableIdBits"],
  aimYaw: ["aimYawRad"],
  aimPitch: ["aimPitchRad"],
  tick: ["tick", "tickBits"],
  playerId: ["playerId"],
  entityId: ["entityId"],
  "position.x": ["position"],
  "position.y": ["position"],
  "position.z": ["position"],
  "velocity.x": ["velocity"],
  "velocity.y": ["velocity"],
  "velocity.z": ["velocity"],
  rotation: ["rotation"],
  inputSequence: ["inputSequence", "inputSequenceBits"],
  inputCount: ["inputCount"],
  reportedRtt: ["reportedRttMs"],
  targetTime: ["targetTimeUs", "targetTimeModulusUs"],
  checksum: ["checksum"],
  sessionId: ["sessionId"],
};

/**
 * The `MessageRoles` properties the role builders of one protocol can set — its
 * header's and messages' role fields (`plans`), their defaults (`extra`:
 * `channel`, `reliable`, `ackChannel`) and `authenticated` — in
 * `MESSAGE_ROLE_PROPERTIES` order. Every message of the protocol starts from
 * an object with exactly these properties, undefined: one hidden class across
 * its message types (the analyzers' `roles.x` reads stay monomorphic) and no
 * slots for roles the protocol never has.
 */
export function roleShapeOf(plans: readonly RolePlan[], extra: readonly string[]): readonly string[] {
  const used = new Set<string>(["authenticated", ...extra]);
  const addScalars = (scalars: readonly RoleFieldPlan[]): void => {
    for (const scalar of scalars) for (const property of ROLE_PROPERTIES[scalar.role] ?? []) used.add(property);
  };
  for (const plan of plans) {
    addScalars(plan.scalars);
    if (plan.entityArrays.length > 0) used.add("entities");
    if (plan.inputCountArrays.length > 0) used.add("inputCount");
    for (const spec of plan.elementArrays) {
      used.add("elements");
      // The newest element's roles fill the message's unset ones.
      addScalars(spec.element);
      used.add("inputCount");
    }
  }
  return MESSAGE_ROLE_PROPERTIES.filter((property) => used.has(property));
}

/**
 * Builds the roles of one message from its fields and its datagram's header
 * fields: the header's roles first, then the message's own (which override
 * them), then the message's defaults. No intermediate header-roles object.
 * With `target` (a record of {@link rolesRecord}; compiled builders only), the
 * roles are written into it — every property of the shape set, the unset ones
 * to undefined — and it is returned; otherwise a new object.
 */
export type RoleBuilder = (fields: FieldRecord, header: FieldRecord, authenticated: boolean, target?: MessageRoles) => MessageRoles;

/**
 * A roles object of the given shape (see {@link roleShapeOf}) with every
 * property undefined, built by an object literal like the compiled builders'
 * (so it has their hidden class): the record a builder rewrites in place when
 * messages are reused (`messages: "reused"` of compileProtocol). Property names
 * come from the fixed `MESSAGE_ROLE_PROPERTIES` list.
 */
export function rolesRecord(shape: readonly string[]): MessageRoles {
  for (const property of shape) if (!(MESSAGE_ROLE_PROPERTIES as readonly string[]).includes(property)) throw new TypeError(`not a role property: ${property}`);
  const make = new Function(`"use strict"; return { ${shape.map((property) => `${property}: undefined`).join(", ")} };`) as () => MessageRoles;
  return make();
}

// One-entry cache of the last numeric key: a datagram-header role such as
// `sessionId` repeats the same number in every datagram of a session, so it is
// formatted once, not per datagram.
let lastKeyNumber = Number.NaN;
let lastKeyText = "NaN";

function cachedKey(value: FieldValue): string {
  if (typeof value !== "number") return toKey(value);
  if (value !== lastKeyNumber) {
    lastKeyText = String(value);
    lastKeyNumber = value;
  }
  return lastKeyText;
}

const roleHelpers = {
  num: toNumber,
  serial: toSerial,
  key: cachedKey,
  vec: setVector,
  rotation(current: number | readonly number[] | undefined, value: number): number | readonly number[] {
    return current === undefined ? value : typeof current === "number" ? [current, value] : [...current, value];
  },
  elements: extractElementRoles,
};

/**
 * A role builder for one message. `compiled` generates straight-line code with
 * `new Function` (role names come from a fixed list; field names are checked
 * identifiers emitted with `JSON.stringify`); otherwise the generic walker runs.
 * `rolesOnly`: the hints of the message's roles-only decoder (compiled only),
 * whose skipped arrays hold their count and whose entity arrays hold their roles.
 */
export function roleBuilder(
  plan: RolePlan,
  headerPlan: RolePlan,
  defaults: { channel: string | number | undefined; reliable: boolean | undefined; ackChannel?: string | number | undefined },
  compiled: boolean,
  shape: readonly string[] = MESSAGE_ROLE_PROPERTIES,
  rolesOnly?: RolesOnlyHints,
): RoleBuilder {
  if (!compiled) {
    // Interpreter: one small setter per role-tagged field, chosen once here.
    const settersOf = (scalars: readonly RoleFieldPlan[]): ((record: FieldRecord, target: MessageRoles) => void)[] =>
      scalars.map((scalar) => {
        const { path, role, field, widthPath } = scalar;
        return (record: FieldRecord, target: MessageRoles): void => {
          const value = path.length === 1 ? record[path[0]] : valueAt(record, path);
          if (value !== undefined && value !== null && !isZeroWidth(record, widthPath)) applyRole(target as Writable<MessageRoles> & Writable<EntityRoles>, role, value, field);
        };
      });
    const restOf = (rolePlan: RolePlan): RolePlan | undefined => {
      const rest: RolePlan = { scalars: [], entityArrays: rolePlan.entityArrays, inputCountArrays: rolePlan.inputCountArrays, elementArrays: rolePlan.elementArrays };
      return isEmptyRolePlan(rest) ? undefined : rest;
    };
    const headerSetters = settersOf(headerPlan.scalars);
    const headerRest = restOf(headerPlan);
    const setters = settersOf(plan.scalars);
    const rest = restOf(plan);
    const template = Object.fromEntries(shape.map((property) => [property, undefined])) as MessageRoles;
    return (fields, header, authenticated) => {
      const roles: MessageRoles = { ...template };
      // The header's roles go in first; the message's own roles override them.
      for (let index = 0; index < headerSetters.length; index++) headerSetters[index]!(header, roles);
      if (headerRest !== undefined) extractRoles(headerRest, header, roles);
      for (let index = 0; index < setters.length; index++) setters[index]!(fields, roles);
      if (rest !== undefined) extractRoles(rest, fields, roles);
      if (roles.channel === undefined && defaults.channel !== undefined) roles.channel = defaults.channel;
      if (roles.reliable === undefined && defaults.reliable !== undefined) roles.reliable = defaults.reliable;
      if (roles.ackChannel === undefined && defaults.ackChannel !== undefined) roles.ackChannel = defaults.ackChannel;
      if (authenticated) roles.authenticated = true;
      return roles;
    };
  }
  const constants: unknown[] = [];
  const constant = (value: unknown): string => {
    constants.push(value);
    return `K[${constants.length - 1}]`;
  };
  // Every message's roles start with all properties present: one hidden class for all message types.
  // Property names come from the fixed MESSAGE_ROLE_PROPERTIES list (never user text).
  // A target (reused roles) gets every property rewritten, so nothing of the message before it stays.
  const lines: string[] = [
    `let r; if (t === undefined) r = { ${shape.map((property) => `${property}: undefined`).join(", ")} }; else { r = t; ${shape.map((property) => `r.${property} = undefined;`).join(" ")} } let v, w;`,
  ];
  const number = "(typeof v === \"number\" ? v : H.num(v))";
  // Walks `path` from `source` into `v` exactly like `valueAt` (undefined through non-records).
  const walk = (source: string, path: string[]): void => {
    lines.push(`v = ${source};`);
    for (const name of path) lines.push(`v = (typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)) ? v[${JSON.stringify(name)}] : undefined;`);
  };
  // Emits the extraction of one role plan from the record in `source` (`h` the datagram header, `f` the message).
  const emitPlan = (rolePlan: RolePlan, source: string): void => {
    for (const scalar of rolePlan.scalars) {
      const field = scalar.field;
      const readInto = (path: string[]): void => {
        const access = path.map((name) => `[${JSON.stringify(name)}]`);
        if (access.length === 1) lines.push(`v = ${source}${access[0]};`);
        else {
          lines.push(`v = ${source};`);
          for (const step of access) lines.push(`v = (typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)) ? v${step} : undefined;`);
        }
      };
      // A `byteLength` integer of 0 bytes is absent from the wire: no role from it (see isZeroWidth).
      if (scalar.widthPath !== undefined) {
        readInto(scalar.widthPath);
        lines.push("w = v === 0 || v === 0n;");
      }
      readInto(scalar.path);
      const bits = fieldBits(field);
      const serial = "(typeof v === \"number\" ? v : H.serial(v))";
      const widthCode = (property: string): string => {
        const width = counterBits(field);
        return width === undefined ? "" : ` r.${property} = ${constant(width)};`;
      };
      const modulusCode = (property: string): string => {
        const modulus = clockModulusUs(field);
        return modulus === undefined ? "" : ` r.${property} = ${constant(modulus)};`;
      };
      const time = (): string => (field.ticksPerSecond !== undefined ? `(${number} * 1000000) / ${constant(field.ticksPerSecond)}` : `${number} * ${constant(UNIT_TO_US[field.unit ?? "us"])}`);
      let code: string | undefined;
      switch (scalar.role) {
        case "sequence":
          code = `r.sequence = ${serial};${widthCode("sequenceBits")}`;
          break;
        case "ack":
          code = `r.ack = ${serial};`;
          break;
        case "tick":
          code = `r.tick = ${serial};${widthCode("tickBits")}`;
          break;
        case "inputSequence":
          code = `r.inputSequence = ${serial};${widthCode("inputSequenceBits")}`;
          break;
        case "ackBits":
          code = `r.ackBits = ${number}; r.ackBitsWidth = ${constant(bits)};`;
          break;
        case "ackChannel":
          code = `r.ackChannel = typeof v === "string" ? v : ${number};`;
          break;
        case "ackDelay":
          code = `r.ackDelayUs = ${time()};`;
          break;
        case "channel":
          code = `r.channel = typeof v === "string" ? v : ${number};`;
          break;
        case "reliable":
          code = `r.reliable = v === true || ${number} !== 0;`;
          break;
        case "resendCount":
        case "playerId":
        case "entityId":
        case "inputCount":
        case "checksum":
          code = `r[${JSON.stringify(scalar.role)}] = ${number};`;
          break;
        case "sendTime":
          code = `r.sendTimeUs = ${time()};${modulusCode("sendTimeModulusUs")}`;
          break;
        case "targetTime":
          code = `r.targetTimeUs = ${time()};${modulusCode("targetTimeModulusUs")}`;
          break;
        case "reportedRtt":
          code =
            field.ticksPerSecond !== undefined
              ? `r.reportedRttMs = ((${number} * 1000000) / ${constant(field.ticksPerSecond)}) / 1000;`
              : `r.reportedRttMs = (${number} * ${constant(UNIT_TO_US[field.unit ?? "ms"])}) / 1000;`;
          break;
        case "echoId":
          code = `r.echoId = H.key(v); r.echoKey = r.echoId; r.echoPhase = ${constant(field.echoPhase)};`;
          break;
        case "echoTime":
          code = `if (typeof v === "number" || typeof v === "bigint") r.echoTimeUs = ${time()}; if (r.echoId === undefined) r.echoKey = H.key(v); r.echoPhase = ${constant(field.echoPhase)};`;
          break;
        case "reliableId":
          code = `r.reliableId = ${serial};${widthCode("reliableIdBits")}`;
          break;
        case "aimYaw":
          code = `r.aimYawRad = ${number};`;
          break;
        case "aimPitch":
          code = `r.aimPitchRad = ${number};`;
          break;
        case "position.x":
        case "position.y":
        case "position.z":
          code = `r.position = H.vec(r.position, ${constant(scalar.role.slice(9))}, ${number});`;
          break;
        case "velocity.x":
        case "velocity.y":
        case "velocity.z":
          code = `r.velocity = H.vec(r.velocity, ${constant(scalar.role.slice(9))}, ${number});`;
          break;
        case "rotation":
          code = `r.rotation = H.rotation(r.rotation, ${number});`;
          break;
        case "sessionId":
          code = "r.sessionId = H.key(v);";
          break;
        default:
          code = undefined;
      }
      if (code !== undefined) lines.push(`if (v !== undefined && v !== null${scalar.widthPath !== undefined ? " && !w" : ""}) { ${code} }`);
    }
    // A roles-only decoder's arrays (message fields only): a skipped array holds its count, an entity array its entity roles.
    const hints = source === "f" ? rolesOnly : undefined;
    for (const path of rolePlan.inputCountArrays) {
      walk(source, path);
      if (hints !== undefined && path.length === 1 && hints.skipped.has(path[0])) lines.push(`if (typeof v === "number") r.inputCount = v;`);
      else lines.push("if (Array.isArray(v)) r.inputCount = v.length;");
    }
    // Entity arrays: straight-line reads per element into locals, one result object per entity
    // (same values and key order as `extractRoles`; roles other than the four entity ones have no effect there).
    for (const spec of rolePlan.entityArrays) {
      walk(source, spec.path);
      if (hints !== undefined && spec.path.length === 1 && hints.entities.has(spec.path[0])) {
        lines.push("if (Array.isArray(v)) r.entities = v;");
        continue;
      }
      // Vector axes go to locals and each vector is built once, whole, after the element's reads (same values, same x/y/z order).
      lines.push("if (Array.isArray(v)) { const l = v, es = []; for (let i = 0; i < l.length; i++) { const el = l[i]; let id = 0, rot, hp = false, px = 0, py = 0, pz = 0, hv = false, vx = 0, vy = 0, vz = 0;");
      // The element is checked once; its own properties are then read directly (deeper steps stay guarded).
      lines.push(`if (typeof el === "object" && el !== null && !Array.isArray(el) && !(el instanceof Uint8Array)) {`);
      for (const role of spec.entity) {
        let code: string | undefined;
        if (role.role === "entityId") code = `id = ${number};`;
        else if (role.role === "rotation") code = `rot = H.rotation(rot, ${number});`;
        else if (role.role.startsWith("position.") || role.role.startsWith("velocity.")) {
          const position = role.role.startsWith("position.");
          const axis = role.role.slice(9);
          const property = axis === "x" ? "x" : axis === "y" ? "y" : "z";
          code = `${position ? "hp" : "hv"} = true; ${position ? "p" : "v"}${property} = ${number};`;
        }
        if (code === undefined) continue;
        if (role.widthPath !== undefined) {
          walk(`el[${JSON.stringify(role.widthPath[0])}]`, role.widthPath.slice(1));
          lines.push("w = v === 0 || v === 0n;");
        }
        walk(`el[${JSON.stringify(role.path[0])}]`, role.path.slice(1));
        lines.push(`if (v !== undefined && v !== null${role.widthPath !== undefined ? " && !w" : ""}) { ${code} }`);
      }
      lines.push("}");
      // One allocation and one shape per entity: absent roles are present and undefined (as in the message roles).
      lines.push("es.push({ entityId: id, position: hp ? { x: px, y: py, z: pz } : undefined, velocity: hv ? { x: vx, y: vy, z: vz } : undefined, rotation: rot }); }");
      lines.push("r.entities = es; }");
    }
    for (const spec of rolePlan.elementArrays) lines.push(`H.elements(${constant(spec)}, ${source}, r);`);
  };
  // The header's roles first; the message's own roles override them.
  emitPlan(headerPlan, "h");
  emitPlan(plan, "f");
  if (defaults.channel !== undefined) lines.push(`if (r.channel === undefined) r.channel = ${constant(defaults.channel)};`);
  if (defaults.reliable !== undefined) lines.push(`if (r.reliable === undefined) r.reliable = ${constant(defaults.reliable)};`);
  if (defaults.ackChannel !== undefined) lines.push(`if (r.ackChannel === undefined) r.ackChannel = ${constant(defaults.ackChannel)};`);
  lines.push("if (a) r.authenticated = true;", "return r;");
  // Vectors and entity roles hold the decoded records' number boxes, not copies (see tagged-fields.ts).
  preferTaggedFields(["x", "y", "z"]);
  preferTaggedFields(["entityId", "position", "velocity", "rotation"]);
  const factory = new Function("K", "H", `"use strict"; return function buildRoles(f, h, a, t) {\n${lines.join("\n")}\n};`) as (
    constants: unknown[],
    helperSet: typeof roleHelpers,
  ) => RoleBuilder;
  return factory(constants, roleHelpers);
}
