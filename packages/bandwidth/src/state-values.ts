import { ErrorCode, TickscopeError, type FieldValue } from "@tickscope/core";

/**
 * Marks a string of a saved state that stands for a value JSON cannot carry
 * (byte array, bigint, non-finite or negative-zero number). A decoded string
 * that starts with it is saved with an extra marker (`"\u0001s"` + the string).
 */
const TAG = "\u0001";

/** Most nesting levels a saved field value may have (a decoded message is far shallower). */
const MAX_DEPTH = 64;

/** JSON-safe form of a decoded field value (see {@link encodeFieldValue}). */
export type EncodedFieldValue = number | boolean | string | null | EncodedFieldValue[] | { [field: string]: EncodedFieldValue };

/** Bytes as base64 (Node's Buffer: no per-byte work in JS). */
function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** JSON-safe form of a number: finite numbers as they are, the rest (and −0) tagged. */
export function encodeNumber(value: number): number | string {
  if (Number.isFinite(value) && !Object.is(value, -0)) return value;
  return `${TAG}f${Object.is(value, -0) ? "-0" : String(value)}`;
}

/**
 * JSON-safe form of a decoded field value: numbers, booleans, null, arrays and
 * records as they are; byte arrays (`\u0001b` + base64), bigints (`\u0001n` +
 * decimal), NaN/±Infinity/−0 (`\u0001f` + name) and strings starting with the
 * tag (`\u0001s` + string) as tagged strings.
 */
export function encodeFieldValue(value: FieldValue): EncodedFieldValue {
  switch (typeof value) {
    case "number":
      return encodeNumber(value);
    case "bigint":
      return `${TAG}n${value.toString()}`;
    case "boolean":
      return value;
    case "string":
      return value.startsWith(TAG) ? `${TAG}s${value}` : value;
    default:
      break;
  }
  if (value === null) return null;
  if (value instanceof Uint8Array) return `${TAG}b${toBase64(value)}`;
  if (Array.isArray(value)) return (value as readonly FieldValue[]).map(encodeFieldValue);
  const record = value as Record<string, FieldValue>;
  const result: Record<string, EncodedFieldValue> = {};
  for (const key in record) result[key] = encodeFieldValue(record[key]!);
  return result;
}

/** A saved state's problem, with the path where it was found. */
export function badPartial(path: string, problem: string): TickscopeError {
  return new TickscopeError(ErrorCode.badPartial, `bandwidth state: ${path}: ${problem}`, {
    fieldPath: path,
    hint: "merge only states saved by the bandwidth analyzer of this tickscope version (saveState / analyze --partial)",
  });
}

/** Decodes a tagged string (see {@link encodeFieldValue}); `path` names it in errors. */
function decodeTagged(text: string, path: string): FieldValue {
  const kind = text[1];
  const body = text.slice(2);
  switch (kind) {
    case "s":
      return body;
    case "n":
      if (!/^-?\d{1,400}$/.test(body)) throw badPartial(path, `bad bigint ${JSON.stringify(body.slice(0, 40))}`);
      return BigInt(body);
    case "b":
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) throw badPartial(path, "bad base64 byte array");
      return new Uint8Array(Buffer.from(body, "base64"));
    case "f":
      return decodeNumber(text, path);
    default:
      throw badPartial(path, `unknown tag ${JSON.stringify(text.slice(0, 2))}`);
  }
}

/** Decodes a saved number (see {@link encodeNumber}). */
export function decodeNumber(value: unknown, path: string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw badPartial(path, "not a finite number");
    return value;
  }
  if (typeof value === "string" && value.startsWith(`${TAG}f`)) {
    const name = value.slice(2);
    if (name === "NaN") return Number.NaN;
    if (name === "Infinity") return Number.POSITIVE_INFINITY;
    if (name === "-Infinity") return Number.NEGATIVE_INFINITY;
    if (name === "-0") return -0;
  }
  throw badPartial(path, `expected a number, got ${JSON.stringify(value)?.slice(0, 40)}`);
}

/** A problem inside a field tree, with the path segments below the failing value's parent (built only on failure). */
class FieldProblem {
  constructor(
    readonly segments: string[],
    readonly problem: string,
  ) {}
}

/** Leaves decoded by the running {@link decodeFieldValue} call (as the trace counts them). */
let decodedLeaves = 0;

function decodeTree(value: unknown, depth: number): FieldValue {
  switch (typeof value) {
    case "number":
      if (!Number.isFinite(value)) throw new FieldProblem([], "not a finite number");
      decodedLeaves += 1;
      return value;
    case "boolean":
      decodedLeaves += 1;
      return value;
    case "string":
      decodedLeaves += 1;
      if (!value.startsWith(TAG)) return value;
      try {
        return decodeTagged(value, "");
      } catch (error) {
        throw new FieldProblem([], (error as Error).message.replace(/^bandwidth state: : /, ""));
      }
    case "object":
      break;
    default:
      throw new FieldProblem([], `unexpected ${typeof value}`);
  }
  if (value === null) {
    decodedLeaves += 1;
    return null;
  }
  if (depth >= MAX_DEPTH) throw new FieldProblem([], `nested deeper than ${MAX_DEPTH}`);
  if (Array.isArray(value)) {
    const result = new Array<FieldValue>(value.length);
    for (let index = 0; index < value.length; index++) {
      try {
        result[index] = decodeTree(value[index], depth + 1);
      } catch (error) {
        if (error instanceof FieldProblem) error.segments.unshift(`[${index}]`);
        throw error;
      }
    }
    return result;
  }
  const record = value as Record<string, unknown>;
  const result: Record<string, FieldValue> = {};
  for (const key in record) {
    if (key === "__proto__") throw new FieldProblem([], "field named __proto__");
    try {
      result[key] = decodeTree(record[key], depth + 1);
    } catch (error) {
      if (error instanceof FieldProblem) error.segments.unshift(`.${key}`);
      throw error;
    }
  }
  return result;
}

/**
 * Decodes a saved field value; throws `E_BAD_PARTIAL` (with the path) on
 * anything {@link encodeFieldValue} does not make. `leaves.count` receives its
 * leaves (numbers, strings, booleans, null, byte arrays).
 */
export function decodeFieldValue(value: unknown, path: string, leaves?: { count: number }): FieldValue {
  decodedLeaves = 0;
  try {
    const result = decodeTree(value, 0);
    if (leaves !== undefined) leaves.count = decodedLeaves;
    return result;
  } catch (error) {
    if (error instanceof FieldProblem) throw badPartial(`${path}${error.segments.join("")}`, error.problem);
    throw error;
  }
}

/** Leaves counted by the running {@link checkPlainFieldValue} call. */
let checkedLeaves = 0;

function checkTree(value: unknown, depth: number): void {
  switch (typeof value) {
    case "number":
    case "bigint":
    case "boolean":
    case "string":
    case "undefined":
      // a leaf as the trace counted it when it copied the decoded value
      checkedLeaves += 1;
      return;
    case "object":
      break;
    default:
      throw new FieldProblem([], `unexpected ${typeof value}`);
  }
  if (value === null || value instanceof Uint8Array) {
    checkedLeaves += 1;
    return;
  }
  if (depth >= MAX_DEPTH) throw new FieldProblem([], `nested deeper than ${MAX_DEPTH}`);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      try {
        checkTree(value[index], depth + 1);
      } catch (error) {
        if (error instanceof FieldProblem) error.segments.unshift(`[${index}]`);
        throw error;
      }
    }
    return;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Map || value instanceof Set || value instanceof Date || value instanceof RegExp) {
    throw new FieldProblem([], "not a decoded field value (byte arrays are Uint8Array)");
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (key === "__proto__") throw new FieldProblem([], "field named __proto__");
    try {
      checkTree(record[key], depth + 1);
    } catch (error) {
      if (error instanceof FieldProblem) error.segments.unshift(`.${key}`);
      throw error;
    }
  }
}

/**
 * Checks a field value of a transfer-form state (a decoded value as it is,
 * after a structured clone): numbers, bigints, booleans, strings, null, byte
 * arrays, arrays and records nested at most as deep as a saved one; throws
 * `E_BAD_PARTIAL` (with the path) on anything else. Returns the value itself
 * (the clone is already the merging side's own copy); `leaves.count` receives
 * its leaves, counted as {@link decodeFieldValue} counts them.
 */
export function checkPlainFieldValue(value: unknown, path: string, leaves?: { count: number }): FieldValue {
  checkedLeaves = 0;
  try {
    checkTree(value, 0);
    if (leaves !== undefined) leaves.count = checkedLeaves;
    return value as FieldValue;
  } catch (error) {
    if (error instanceof FieldProblem) throw badPartial(`${path}${error.segments.join("")}`, error.problem);
    throw error;
  }
}

/** Bytes of a saved base64 payload. */
export function decodeBytes(value: string, path: string): Uint8Array {
  const decoded = decodeTagged(`${TAG}b${value}`, path);
  return decoded as Uint8Array;
}

/** Base64 of a payload for a saved state. */
export function encodeBytes(bytes: Uint8Array): string {
  return toBase64(bytes);
}
