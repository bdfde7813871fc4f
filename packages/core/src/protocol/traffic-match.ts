import { ErrorCode, TickscopeError } from "../errors.js";
import type {
  FieldDefinition,
  MatchConditionDefinition,
  MatchOperandDefinition,
  MatchValue,
  PortSpec,
  ProtocolDefinition,
  TrafficMatchDefinition,
} from "./definition-schema.js";

/** Widths of the fixed integer type keywords. */
const FIXED_INTEGER_BITS: Record<string, { bits: number; signed: boolean }> = {
  u8: { bits: 8, signed: false },
  u16: { bits: 16, signed: false },
  u24: { bits: 24, signed: false },
  u32: { bits: 32, signed: false },
  u48: { bits: 48, signed: false },
  u64: { bits: 64, signed: false },
  i8: { bits: 8, signed: true },
  i16: { bits: 16, signed: true },
  i24: { bits: 24, signed: true },
  i32: { bits: 32, signed: true },
  i48: { bits: 48, signed: true },
  i64: { bits: 64, signed: true },
};

const TWO_TO_32 = 4294967296;
/** Values up to this many bits are compared as plain numbers (min/max allowed). */
const NUMBER_BITS = 53;

/** A field found at a fixed bit offset from the start of every datagram. */
export interface FixedFieldLocation {
  /** Field name. */
  name: string;
  /** Bit offset from the first byte of the datagram (MSB first). */
  bitOffset: number;
  /** Width in bits. */
  bits: number;
  /** Little-endian (whole bytes only). */
  little: boolean;
  /** Two's complement. */
  signed: boolean;
  /** Integer-like (int, uint, bool): usable in a match condition. */
  matchable: boolean;
}

/** One compiled operand: where to read and what to compare. */
interface CompiledOperand {
  byteOffset: number;
  bitShift: number;
  bits: number;
  little: boolean;
  signed: boolean;
  maskHigh: number;
  maskLow: number;
  /** Values compared as numbers (bits ≤ 53) ... */
  equalsNumbers: number[] | undefined;
  notEqualsNumbers: number[] | undefined;
  /** ... or as (high, low) 32-bit pairs (wider values), flattened. */
  equalsPairs: number[] | undefined;
  notEqualsPairs: number[] | undefined;
  min: number;
  max: number;
  fitsFrom: number;
}

/** A compiled datagram condition. */
interface CompiledCondition {
  test: CompiledOperand;
  when: CompiledOperand | undefined;
}

/** Result of reading an operand: scratch state (no per-packet allocation). */
let readHigh = 0;
let readLow = 0;

function definitionError(path: string, message: string): never {
  throw new TickscopeError(ErrorCode.definitionInvalid, `${path}: ${message}`, { fieldPath: path });
}

/**
 * The fields of a definition that sit at a fixed bit offset from the start of
 * every datagram: the header fields up to the first one of variable size or
 * behind a condition, then (when the header ends on a byte and no top-level
 * transform hides the body) the first frame header of a body without `switch`,
 * the message selector's prefix fields, and the fields of the only message.
 */
export function fixedFieldLocations(definition: ProtocolDefinition): FixedFieldLocation[] {
  const locations: FixedFieldLocation[] = [];
  const defaultLittle = definition.byteOrder === "little";
  /** Walks fields; returns the bit offset after them, or -1 when a field has no fixed size. */
  const walk = (fields: readonly FieldDefinition[], start: number): number => {
    let offset = start;
    for (const field of fields) {
      if (field.when !== undefined) return -1;
      const width = fixedWidth(field);
      if (width === undefined) return -1;
      if (field.name !== undefined && !locations.some((location) => location.name === field.name)) {
        const fixed = FIXED_INTEGER_BITS[field.type];
        const integer = fixed !== undefined || ((field.type === "uint" || field.type === "int") && field.byteLength === undefined) || field.type === "bool";
        const little = (field.byteOrder ?? (defaultLittle ? "little" : "big")) === "little" && width % 8 === 0 && field.type !== "bool";
        locations.push({
          name: field.name,
          bitOffset: offset,
          bits: width,
          little,
          signed: fixed?.signed ?? field.type === "int",
          // A scaled integer's decoded value is not its wire value: match conditions test raw integers only.
          matchable: integer && width <= 64 && field.scale === undefined && field.offset === undefined,
        });
      }
      offset += width;
    }
    return offset;
  };
  const headerEnd = walk(definition.header ?? [], 0);
  if (headerEnd < 0 || headerEnd % 8 !== 0 || (definition.transforms?.length ?? 0) > 0) return locations;
  const body = definition.body;
  if (body.switch !== undefined) return locations;
  let offset = headerEnd;
  if (body.frameHeader !== undefined) {
    offset = walk(body.frameHeader, offset);
    // The frame's own transforms apply after its header: only the header is fixed.
    if (offset < 0 || offset % 8 !== 0 || (body.transforms?.length ?? 0) > 0) return locations;
  }
  const select = body.select;
  if (select?.prefix !== undefined) offset = walk(select.prefix, offset);
  if (offset < 0 || select?.message === undefined || select.cases !== undefined) return locations;
  const message = definition.messages.find((candidate) => candidate.name === select.message);
  if (message !== undefined) walk(message.fields, offset);
  return locations;
}

/** Bits a field always occupies, or undefined when its size varies. */
function fixedWidth(field: FieldDefinition): number | undefined {
  const fixed = FIXED_INTEGER_BITS[field.type];
  if (fixed !== undefined) return fixed.bits;
  switch (field.type) {
    case "uint":
    case "int":
      return field.byteLength === undefined && field.bits !== undefined ? field.bits : undefined;
    case "bool":
      return field.bits ?? 8;
    case "quantized":
      return field.bits;
    case "f32":
      return 32;
    case "f64":
      return 64;
    case "bytes":
    case "string":
      return typeof field.length === "number" ? field.length * 8 : undefined;
    case "struct": {
      let total = 0;
      for (const child of field.fields ?? []) {
        if (child.when !== undefined) return undefined;
        const width = fixedWidth(child);
        if (width === undefined) return undefined;
        total += width;
      }
      return total;
    }
    default:
      return undefined;
  }
}

/** Parses a match value to a bigint (numbers must be integers). */
function valueToBigInt(value: MatchValue, path: string): bigint {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) definitionError(path, `${value} is not a safe integer (write values above 2^53 as "0x..." text)`);
    return BigInt(value);
  }
  return BigInt(value);
}

/** Range of a port list as a 65,536-entry membership table (one byte per port). */
function portTable(ports: readonly PortSpec[] | undefined, path: string): Uint8Array | undefined {
  if (ports === undefined || ports.length === 0) return undefined;
  const table = new Uint8Array(65536);
  ports.forEach((port, index) => {
    if (typeof port === "number") table[port] = 1;
    else {
      if (port.from > port.to) definitionError(`${path}/${index}`, `port range from ${port.from} is above to ${port.to}`);
      table.fill(1, port.from, port.to + 1);
    }
  });
  return table;
}

/**
 * Which flows and datagrams are a protocol's, compiled once from the
 * definition's `match` section (see {@link compileTrafficMatch}). Reading a
 * datagram allocates nothing: conditions are precomputed byte offsets, shifts
 * and masks over the payload bytes.
 */
export class TrafficMatch {
  /** True when the definition has a `match` section with at least one rule. */
  readonly active: boolean;
  /** Flows are accepted once this many of their datagrams matched. */
  readonly acceptAfter: number;
  /** True when the definition names the game's server ports (flows elsewhere are not the game's). */
  readonly hasServerPorts: boolean;
  private readonly serverPortTable: Uint8Array | undefined;
  private readonly excludedPortTable: Uint8Array | undefined;
  private readonly minLength: number;
  private readonly maxLength: number;
  private readonly conditions: readonly CompiledCondition[];
  private readonly flowConditions: readonly CompiledCondition[];
  private readonly hasDatagramRules: boolean;

  /** Use {@link compileTrafficMatch}. */
  constructor(definition: ProtocolDefinition) {
    const match: TrafficMatchDefinition = definition.match ?? {};
    this.active = definition.match !== undefined;
    this.acceptAfter = match.acceptAfter ?? 1;
    this.serverPortTable = portTable(match.ports, "/match/ports");
    this.excludedPortTable = portTable(match.excludePorts, "/match/excludePorts");
    this.hasServerPorts = this.serverPortTable !== undefined;
    this.minLength = match.minLength ?? 0;
    this.maxLength = match.maxLength ?? Number.POSITIVE_INFINITY;
    if (this.minLength > this.maxLength) definitionError("/match/minLength", `minLength ${this.minLength} is above maxLength ${this.maxLength}`);
    const locations = match.datagram === undefined && match.flow === undefined ? [] : fixedFieldLocations(definition);
    const defaultLittle = definition.byteOrder === "little";
    this.conditions = (match.datagram ?? []).map((condition, index) => compileCondition(condition, `/match/datagram/${index}`, locations, defaultLittle));
    this.flowConditions = (match.flow ?? []).map((condition, index) => compileCondition(condition, `/match/flow/${index}`, locations, defaultLittle));
    this.hasDatagramRules = this.conditions.length > 0 || this.minLength > 0 || this.maxLength !== Number.POSITIVE_INFINITY;
  }

  /** True when `port` is one of the definition's server ports. */
  isServerPort(port: number): boolean {
    return this.serverPortTable !== undefined && this.serverPortTable[port] === 1;
  }

  /** True when `port` is excluded (a flow using it is never the game's). */
  isExcludedPort(port: number): boolean {
    return this.excludedPortTable !== undefined && this.excludedPortTable[port] === 1;
  }

  /**
   * True when a datagram payload meets every datagram condition (length bounds,
   * constant/magic fields). Flow-level rules (ports, acceptance) are the
   * caller's: see `@tickscope/capture`'s pipeline.
   */
  matchesDatagram(payload: Uint8Array): boolean {
    if (!this.hasDatagramRules) return true;
    const length = payload.length;
    if (length < this.minLength || length > this.maxLength) return false;
    return meetsAll(this.conditions, payload);
  }

  /**
   * True when a datagram meets the flow conditions (`match.flow`): what a flow
   * needs, `acceptAfter` times, to be accepted as the game's. Once accepted, a
   * datagram failing them is still the game's (decoded; a forged magic is a
   * decode anomaly).
   */
  matchesFlow(payload: Uint8Array): boolean {
    return meetsAll(this.flowConditions, payload);
  }
}

/** True when every condition (whose `when` holds) holds. */
function meetsAll(conditions: readonly CompiledCondition[], payload: Uint8Array): boolean {
  const length = payload.length;
  for (let index = 0; index < conditions.length; index++) {
    const condition = conditions[index];
    const when = condition.when;
    if (when !== undefined && !(readOperand(payload, when) && testOperand(when, length))) continue;
    if (!readOperand(payload, condition.test) || !testOperand(condition.test, length)) return false;
  }
  return true;
}

/** Reads an operand into readHigh/readLow; false when the datagram is too short. */
function readOperand(payload: Uint8Array, operand: CompiledOperand): boolean {
  const byteCount = (operand.bitShift + operand.bits + 7) >> 3;
  const start = operand.byteOffset;
  if (start + byteCount > payload.length) return false;
  let high = 0;
  let low = 0;
  if (operand.little) {
    // Whole bytes, least significant first (byte-aligned: bitShift is 0).
    for (let index = byteCount - 1; index >= 0; index--) {
      high = ((high * 256) + (low >>> 24)) >>> 0;
      low = ((low << 8) | payload[start + index]) >>> 0;
    }
  } else {
    // Big-endian bit string of bitShift + bits bits, then drop the leading bitShift bits.
    for (let index = 0; index < byteCount; index++) {
      high = ((high * 256) + (low >>> 24)) >>> 0;
      low = ((low << 8) | payload[start + index]) >>> 0;
    }
    const trailing = byteCount * 8 - operand.bitShift - operand.bits;
    if (trailing > 0) {
      low = ((low >>> trailing) | (high << (32 - trailing))) >>> 0;
      high = high >>> trailing;
    }
  }
  if (operand.bits < 64) {
    if (operand.bits <= 32) {
      high = 0;
      if (operand.bits < 32) low = (low & (2 ** operand.bits - 1)) >>> 0;
    } else {
      high = (high & (2 ** (operand.bits - 32) - 1)) >>> 0;
    }
  }
  readHigh = (high & operand.maskHigh) >>> 0;
  readLow = (low & operand.maskLow) >>> 0;
  return true;
}

/** Tests the last read value against an operand's predicates. */
function testOperand(operand: CompiledOperand, datagramLength: number): boolean {
  if (operand.equalsPairs !== undefined || operand.notEqualsPairs !== undefined) {
    const equals = operand.equalsPairs;
    if (equals !== undefined) {
      let found = false;
      for (let index = 0; index < equals.length; index += 2) {
        if (equals[index] === readHigh && equals[index + 1] === readLow) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    const notEquals = operand.notEqualsPairs;
    if (notEquals !== undefined) {
      for (let index = 0; index < notEquals.length; index += 2) if (notEquals[index] === readHigh && notEquals[index + 1] === readLow) return false;
    }
    return true;
  }
  let value = readHigh * TWO_TO_32 + readLow;
  if (operand.signed && operand.bits <= NUMBER_BITS && value >= 2 ** (operand.bits - 1)) value -= 2 ** operand.bits;
  const equals = operand.equalsNumbers;
  if (equals !== undefined) {
    let found = false;
    for (let index = 0; index < equals.length; index++) {
      if (equals[index] === value) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  const notEquals = operand.notEqualsNumbers;
  if (notEquals !== undefined) for (let index = 0; index < notEquals.length; index++) if (notEquals[index] === value) return false;
  if (value < operand.min || value > operand.max) return false;
  if (operand.fitsFrom >= 0 && operand.fitsFrom + value > datagramLength) return false;
  return true;
}

function compileCondition(condition: MatchConditionDefinition, path: string, locations: readonly FixedFieldLocation[], defaultLittle: boolean): CompiledCondition {
  const test = compileOperand(condition, path, locations, defaultLittle, condition.fitsFrom);
  const when = condition.when === undefined ? undefined : compileOperand(condition.when, `${path}/when`, locations, defaultLittle, undefined);
  return { test, when };
}

function compileOperand(
  operand: MatchOperandDefinition,
  path: string,
  locations: readonly FixedFieldLocation[],
  defaultLittle: boolean,
  fitsFrom: number | undefined,
): CompiledOperand {
  let bitOffset: number;
  let bits: number;
  let little: boolean;
  let signed = false;
  if (operand.field !== undefined) {
    if (operand.offset !== undefined || operand.bytes !== undefined || operand.byteOrder !== undefined) {
      definitionError(path, "give either field or offset/bytes/byteOrder, not both");
    }
    if (operand.ascii !== undefined) definitionError(`${path}/ascii`, "ascii needs a raw operand (offset and bytes)");
    const location = locations.find((candidate) => candidate.name === operand.field);
    if (location === undefined) {
      definitionError(
        `${path}/field`,
        `"${operand.field}" is not a field at a fixed offset from the datagram start (header fields, the first frame header, the selector's prefix or the only message, before any field of variable size or behind a condition); use offset and bytes`,
      );
    }
    if (!location.matchable) definitionError(`${path}/field`, `"${operand.field}" is not an integer or bool field (scaled integers: match their raw bytes with offset/bytes)`);
    bitOffset = location.bitOffset;
    bits = location.bits;
    little = location.little;
    signed = location.signed;
  } else {
    if (operand.offset === undefined || operand.bytes === undefined) definitionError(path, "a condition needs field, or offset and bytes");
    bitOffset = operand.offset * 8;
    bits = operand.bytes * 8;
    little = (operand.byteOrder ?? (defaultLittle ? "little" : "big")) === "little";
  }
  if ((bitOffset & 7) + bits > 64) definitionError(path, `a ${bits}-bit value must start on a byte boundary`);
  const values = (list: MatchValue[] | undefined, key: string): bigint[] | undefined =>
    list?.map((value, index) => {
      const parsed = valueToBigInt(value, `${path}/${key}${list.length > 1 || key === "in" || key === "notIn" ? `/${index}` : ""}`);
      checkFits(parsed, bits, signed, `${path}/${key}`);
      return parsed;
    });
  let equals = values(operand.equals === undefined ? undefined : [operand.equals], "equals");
  if (operand.in !== undefined) {
    if (equals !== undefined) definitionError(`${path}/in`, "give equals or in, not both");
    equals = values(operand.in, "in");
  }
  if (operand.ascii !== undefined) {
    if (equals !== undefined) definitionError(`${path}/ascii`, "give ascii, equals or in, not several");
    equals = operand.ascii.map((tag, index) => {
      if (tag.length !== bits / 8 || !/^[\x20-\x7e]+$/.test(tag)) definitionError(`${path}/ascii/${index}`, `"${tag}" must be ${bits / 8} printable ASCII characters`);
      let value = 0n;
      for (let position = 0; position < tag.length; position++) {
        const code = BigInt(tag.charCodeAt(little ? tag.length - 1 - position : position));
        value = (value << 8n) | code;
      }
      return value;
    });
  }
  const notEqualsList = [...(operand.notEquals === undefined ? [] : [operand.notEquals]), ...(operand.notIn ?? [])];
  const notEquals = notEqualsList.length === 0 ? undefined : values(notEqualsList, operand.notEquals !== undefined ? "notEquals" : "notIn");
  const hasTest = equals !== undefined || notEquals !== undefined || operand.min !== undefined || operand.max !== undefined || fitsFrom !== undefined;
  if (!hasTest) definitionError(path, "a condition needs a test: equals, notEquals, in, notIn, min, max, ascii or fitsFrom");
  const wide = bits > NUMBER_BITS;
  if (wide && (operand.min !== undefined || operand.max !== undefined || fitsFrom !== undefined)) {
    definitionError(path, `min, max and fitsFrom need a value of at most ${NUMBER_BITS} bits (this one has ${bits})`);
  }
  if (operand.min !== undefined && operand.max !== undefined && operand.min > operand.max) definitionError(`${path}/min`, `min ${operand.min} is above max ${operand.max}`);
  let maskHigh = 0xffffffff;
  let maskLow = 0xffffffff;
  if (operand.mask !== undefined) {
    const mask = valueToBigInt(operand.mask, `${path}/mask`);
    checkFits(mask, bits, false, `${path}/mask`);
    maskHigh = Number((mask >> 32n) & 0xffffffffn);
    maskLow = Number(mask & 0xffffffffn);
    if (signed) definitionError(`${path}/mask`, "mask needs an unsigned field");
  }
  const toPairs = (list: bigint[] | undefined): number[] | undefined =>
    list?.flatMap((value) => {
      const unsigned = BigInt.asUintN(bits, value);
      return [Number((unsigned >> 32n) & 0xffffffffn), Number(unsigned & 0xffffffffn)];
    });
  const toNumbers = (list: bigint[] | undefined): number[] | undefined => list?.map((value) => Number(value));
  return {
    byteOffset: bitOffset >> 3,
    bitShift: bitOffset & 7,
    bits,
    little: little && (bitOffset & 7) === 0 && bits % 8 === 0,
    signed,
    maskHigh,
    maskLow,
    equalsNumbers: wide ? undefined : toNumbers(equals),
    notEqualsNumbers: wide ? undefined : toNumbers(notEquals),
    equalsPairs: wide ? toPairs(equals) : undefined,
    notEqualsPairs: wide ? toPairs(notEquals) : undefined,
    min: operand.min ?? Number.NEGATIVE_INFINITY,
    max: operand.max ?? Number.POSITIVE_INFINITY,
    fitsFrom: fitsFrom ?? -1,
  };
}

/** Rejects a value the operand can never hold (a condition that could never match is a mistake). */
function checkFits(value: bigint, bits: number, signed: boolean, path: string): void {
  const low = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const high = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (value < low || value > high) definitionError(path, `${value} does not fit in ${bits} ${signed ? "signed" : "unsigned"} bits`);
}

/**
 * Compiles a definition's `match` section (ports, excluded ports, datagram
 * length bounds, constant/magic field conditions, flow acceptance) into a
 * {@link TrafficMatch}. Without a `match` section the result accepts
 * everything (`active` is false). Throws `E_DEFINITION_INVALID` naming the JSON
 * path of a bad condition, e.g. `/match/datagram/0/field: "version" is not a
 * field at a fixed offset ...`.
 */
export function compileTrafficMatch(definition: ProtocolDefinition): TrafficMatch {
  return new TrafficMatch(definition);
}
