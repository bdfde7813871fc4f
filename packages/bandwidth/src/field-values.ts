import type { EntityRoles, FieldRecord, FieldValue, MessageRoles, SerialNumber } from "@tickscope/core";

/** Deep copy of a decoded field value (byte arrays are copied, other leaves are immutable). */
export function copyFieldValue(value: FieldValue): FieldValue {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Uint8Array) return value.slice();
  if (Array.isArray(value)) return (value as readonly FieldValue[]).map(copyFieldValue);
  // for…in over a decoded record (a plain object): no key array per record.
  const record = value as Record<string, FieldValue>;
  const result: Record<string, FieldValue> = {};
  for (const key in record) result[key] = copyFieldValue(record[key]!);
  return result;
}

/** Deep copy of a message's fields. */
export function copyFields(fields: FieldRecord): FieldRecord {
  return copyFieldValue(fields) as FieldRecord;
}

/** The roles the bandwidth analysis keeps for a retained message (copied). */
export interface RetainedRoles {
  /** Exact wire value (a bigint beyond 2^53 − 1). */
  sequence?: SerialNumber;
  /** Bit width of the sequence (and ack) field. */
  sequenceBits?: number;
  /** Exact wire value (a bigint beyond 2^53 − 1). */
  ack?: SerialNumber;
  ackBits?: number;
  ackBitsWidth?: number;
  channel?: number | string;
  resendCount?: number;
  playerId?: number;
  position?: { x: number; y: number; z: number };
  entities?: readonly EntityRoles[];
}

/** Stands for a message's entity roles when their positions are not kept (only their presence is read). */
const NO_ENTITY_POSITIONS: readonly EntityRoles[] = Object.freeze([]);

/**
 * Copies the roles the bandwidth analysis needs. Without `withEntityPositions`
 * (only interest management reads them) a message's entities are kept as an
 * empty list that marks their presence: no objects per entity.
 */
export function copyRoles(roles: MessageRoles, withEntityPositions = true): RetainedRoles {
  const result: RetainedRoles = {};
  if (roles.sequence !== undefined) result.sequence = roles.sequence;
  if (roles.sequenceBits !== undefined) result.sequenceBits = roles.sequenceBits;
  if (roles.ack !== undefined) result.ack = roles.ack;
  if (roles.ackBits !== undefined) result.ackBits = roles.ackBits;
  if (roles.ackBitsWidth !== undefined) result.ackBitsWidth = roles.ackBitsWidth;
  if (roles.channel !== undefined) result.channel = roles.channel;
  if (roles.resendCount !== undefined) result.resendCount = roles.resendCount;
  if (roles.playerId !== undefined) result.playerId = roles.playerId;
  if (roles.position !== undefined) result.position = { x: roles.position.x, y: roles.position.y, z: roles.position.z };
  if (roles.entities !== undefined && !withEntityPositions) {
    result.entities = NO_ENTITY_POSITIONS;
  } else if (roles.entities !== undefined) {
    result.entities = roles.entities.map((entity) => {
      const copy: EntityRoles = { entityId: entity.entityId };
      if (entity.position !== undefined) copy.position = { x: entity.position.x, y: entity.position.y, z: entity.position.z };
      return copy;
    });
  }
  return result;
}

/**
 * Walks two field trees of the same shape in parallel and calls `onNumber` for
 * every numeric leaf pair, with the path (`entities[].position.x`). Arrays are
 * compared index by index up to the shorter length.
 */
export function forEachNumberPair(
  a: FieldValue | undefined,
  b: FieldValue | undefined,
  path: string,
  onNumber: (path: string, a: number, b: number) => void,
): void {
  if (typeof a === "number" && typeof b === "number") {
    onNumber(path, a, b);
    return;
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return;
  if (a instanceof Uint8Array || b instanceof Uint8Array) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const length = Math.min(a.length, b.length);
    const elementPath = `${path}[]`;
    for (let index = 0; index < length; index++) forEachNumberPair(a[index], b[index], elementPath, onNumber);
    return;
  }
  if (Array.isArray(a) || Array.isArray(b)) return;
  const left = a as Record<string, FieldValue>;
  const right = b as Record<string, FieldValue>;
  for (const key of Object.keys(left)) {
    forEachNumberPair(left[key], right[key], path === "" ? key : `${path}.${key}`, onNumber);
  }
}

// Flat keys and child paths are built once and reused (the same paths and entity keys recur in
// every message): no string building per leaf, and the reused strings keep their cached hashes.
const childPaths = new Map<string, Map<string, string>>();
const elementPaths = new Map<string, string>();
const flatKeys = new Map<string, Map<string, string>>();
const elementKeys = new Map<string, Map<string, string>>();

/** Strings the caches hold at most (entity keys come from the data: the caches must stay bounded). */
const MAX_CACHED_STRINGS = 200_000;
let cachedStrings = 0;

function cachedJoin(cache: Map<string, Map<string, string>>, prefix: string, name: string, join: (prefix: string, name: string) => string): string {
  const inner = cache.get(prefix);
  const joined = inner?.get(name);
  if (joined !== undefined) return joined;
  const result = join(prefix, name);
  if (cachedStrings < MAX_CACHED_STRINGS) {
    cachedStrings += 1;
    if (inner === undefined) cache.set(prefix, new Map([[name, result]]));
    else inner.set(name, result);
  }
  return result;
}

const joinChild = (path: string, name: string): string => (path === "" ? name : `${path}.${name}`);
const joinFlat = (path: string, key: string): string => (key === "" ? path : `${path}#${key}`);
const joinElementKey = (key: string, elementKey: string): string => (key === "" ? elementKey : `${key}/${elementKey}`);

/**
 * Flattens the numeric leaves of a field tree into `into`, keyed by
 * `path#index...` (array indices kept, or the element's `keyField` value for
 * keyed arrays named in `keyFields`).
 */
export function flattenNumbers(
  value: FieldValue | undefined,
  path: string,
  keyFields: ReadonlyMap<string, string>,
  into: Map<string, number>,
  key = "",
): void {
  if (typeof value === "number") {
    into.set(cachedJoin(flatKeys, path, key, joinFlat), value);
    return;
  }
  if (value === null || value === undefined || typeof value !== "object" || value instanceof Uint8Array) return;
  if (Array.isArray(value)) {
    const keyField = keyFields.get(path);
    const elementPath = elementPathOf(path);
    for (let index = 0; index < value.length; index++) {
      const item = value[index] as FieldValue;
      flattenNumbers(item, elementPath, keyFields, into, cachedJoin(elementKeys, key, elementKeyOf(item, keyField, index), joinElementKey));
    }
    return;
  }
  const record = value as Record<string, FieldValue>;
  for (const name of Object.keys(record)) flattenNumbers(record[name], childPathOf(path, name), keyFields, into, key);
}

/** Whether a field value is a record (a struct: not a number, bytes, array or null). */
export function isFieldRecord(value: FieldValue | undefined): value is Record<string, FieldValue> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** The key {@link flattenNumbers} gives an array element: its `keyField` value when it is a record of a keyed array, else its index. */
export function elementKeyOf(item: FieldValue | undefined, keyField: string | undefined, index: number): string {
  return keyField !== undefined && isFieldRecord(item) ? String(item[keyField]) : String(index);
}

/** Path of a record's child (`position` under `entities[]` → `entities[].position`), built once per pair. */
export function childPathOf(path: string, name: string): string {
  return cachedJoin(childPaths, path, name, joinChild);
}

/** Path of an array's elements (`entities` → `entities[]`), built once per path. */
export function elementPathOf(path: string): string {
  let elementPath = elementPaths.get(path);
  if (elementPath === undefined) {
    elementPath = `${path}[]`;
    if (cachedStrings < MAX_CACHED_STRINGS) {
      cachedStrings += 1;
      elementPaths.set(path, elementPath);
    }
  }
  return elementPath;
}

/** Leaf path of a flattened key (`entities[].position.x#12` → `entities[].position.x`). */
export function pathOfFlatKey(flatKey: string): string {
  const hash = flatKey.indexOf("#");
  return hash < 0 ? flatKey : flatKey.slice(0, hash);
}
