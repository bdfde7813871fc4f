import { performance } from "node:perf_hooks";
import { isDeepStrictEqual } from "node:util";
import { ErrorCode, TickscopeError } from "../../errors.js";
import { compileProtocol, validateProtocolDefinition, type CompiledProtocol, type DecodedDatagram, type MessageToEncode } from "../index.js";
import { FuzzRandom, generateDefinition, generateHostileDefinition } from "./definition-generator.js";

/**
 * The definition compiler's fuzzing contract, one case per seed:
 * - hostile definitions: `compileProtocol` (= `protocol check` + compile) either
 *   rejects with `E_DEFINITION_INVALID` or yields a decoder that, on random
 *   datagrams, only ever reports typed anomalies (no internal error), decodes
 *   each datagram within {@link DATAGRAM_TIME_LIMIT_MS}, and agrees with the
 *   interpreter;
 * - random valid definitions: compiled and interpreted decoders give identical
 *   results (fields, roles, anomaly code, path, offset and wording) on random,
 *   encoded and mutated datagrams, and decode → encode → decode is a fixpoint
 *   that both encoders produce byte for byte.
 * Each function returns the contract violations it found (empty: none).
 */

/** What the cases exercised (to see that the generators reach past validation). */
export interface DefinitionFuzzStatistics {
  /** Definitions that compiled. */
  accepted: number;
  /** Definitions that validation rejected. */
  rejected: number;
  /** Datagrams decoded (by both decoders). */
  datagrams: number;
  /** Decodes with messages and no anomaly. */
  cleanDecodes: number;
  /** Clean decodes that both encoders re-encoded and that decoded to the same values. */
  roundTrips: number;
  /** Slowest decode of one datagram (either decoder), ms. */
  slowestDecodeMs: number;
  /** Slowest validation + compilation of one definition (compiled mode), ms. */
  slowestCompileMs: number;
  /** Largest resident set size seen after a case, bytes. */
  peakRssBytes: number;
}

/** Fresh zeroed statistics. */
export function emptyStatistics(): DefinitionFuzzStatistics {
  return { accepted: 0, rejected: 0, datagrams: 0, cleanDecodes: 0, roundTrips: 0, slowestDecodeMs: 0, slowestCompileMs: 0, peakRssBytes: 0 };
}

const statistics = { current: emptyStatistics() };

/** Longest time one datagram may take to decode (generous: the machine is shared and GC runs). */
export const DATAGRAM_TIME_LIMIT_MS = 2_000;
/** Longest time one definition may take to validate and compile. */
export const COMPILE_TIME_LIMIT_MS = 5_000;
/** Largest resident set size the fuzzing process may reach. */
export const RSS_LIMIT_BYTES = 2 * 1024 ** 3;

/** Records the process's memory after a case; an escape when it is over {@link RSS_LIMIT_BYTES}. */
function checkMemory(escapes: string[]): void {
  const rss = process.memoryUsage.rss();
  if (rss > statistics.current.peakRssBytes) statistics.current.peakRssBytes = rss;
  if (rss > RSS_LIMIT_BYTES) escapes.push(`resident memory ${Math.round(rss / 1048576)} MB after the case (limit ${RSS_LIMIT_BYTES / 1048576} MB)`);
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return String(error).slice(0, 300);
}

function hex(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.subarray(0, 48)).toString("hex");
  return bytes.length > 48 ? `${text}… (${bytes.length} bytes)` : text;
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString("hex")}`;
  return value;
}

/** A short account of where two decode results differ. */
function difference(first: DecodedDatagram, second: DecodedDatagram): string {
  const left = JSON.stringify(first, replacer);
  const right = JSON.stringify(second, replacer);
  let index = 0;
  while (index < left.length && left[index] === right[index]) index++;
  const from = Math.max(0, index - 60);
  return `…${left.slice(from, index + 80)}… vs …${right.slice(from, index + 80)}…`;
}

/** Random datagrams of the sizes games send (mostly small, some large). */
function randomDatagrams(random: FuzzRandom, count: number): Uint8Array[] {
  const datagrams: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const length = random.chance(0.05) ? random.integer(1_500, 16_000) : random.pick([0, 1, 2, 3, 4, 5, 8, 12, 16, 24, 32, 64, 128, 512, 1_400]);
    datagrams.push(random.bytes(length));
  }
  return datagrams;
}

/** Mutants of an encoded datagram: a flipped bit, a cut, an extra byte. */
function mutants(random: FuzzRandom, bytes: Uint8Array): Uint8Array[] {
  const result: Uint8Array[] = [];
  if (bytes.length > 0) {
    const flipped = bytes.slice();
    flipped[random.integer(0, bytes.length - 1)] ^= 1 << random.integer(0, 7);
    result.push(flipped, bytes.subarray(0, random.integer(0, bytes.length - 1)));
  }
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  longer[bytes.length] = random.integer(0, 255);
  result.push(longer);
  return result;
}

/** Decodes with both decoders, checking the time limit, typed anomalies and parity. */
function decodeChecked(compiled: CompiledProtocol, interpreted: CompiledProtocol, datagram: Uint8Array, escapes: string[], internal: unknown[]): DecodedDatagram | undefined {
  statistics.current.datagrams += 1;
  const started = performance.now();
  let first: DecodedDatagram;
  let second: DecodedDatagram;
  try {
    first = compiled.decodeDatagramFields(datagram);
    const middle = performance.now();
    second = interpreted.decodeDatagramFields(datagram);
    const ended = performance.now();
    const slowest = Math.max(middle - started, ended - middle);
    if (slowest > statistics.current.slowestDecodeMs) statistics.current.slowestDecodeMs = slowest;
    if (slowest > DATAGRAM_TIME_LIMIT_MS) escapes.push(`decoding ${hex(datagram)} took ${slowest.toFixed(0)} ms`);
  } catch (error) {
    escapes.push(`decodeDatagramFields threw on ${hex(datagram)}: ${describe(error)}`);
    return undefined;
  }
  if (internal.length > 0) {
    escapes.push(`internal error decoding ${hex(datagram)}: ${describe(internal[0])}`);
    internal.length = 0;
  }
  for (const anomaly of first.anomalies) {
    if (!KNOWN_CODES.has(anomaly.code)) escapes.push(`unknown anomaly code ${anomaly.code} on ${hex(datagram)}`);
  }
  if (!isDeepStrictEqual(first, second)) {
    escapes.push(`compiled and interpreted decoders differ on ${hex(datagram)}: ${difference(first, second)}`);
    return undefined;
  }
  return first;
}

interface Pair {
  compiled: CompiledProtocol;
  interpreted: CompiledProtocol;
  internal: unknown[];
}

/** Compiles both ways; `undefined` when validation rejected the definition (an escape is recorded for anything else). */
function compileBoth(definition: unknown, escapes: string[]): Pair | undefined {
  const internal: unknown[] = [];
  const onInternalError = (error: unknown): void => {
    internal.push(error);
  };
  // `protocol check` (validation alone) must accept exactly what compiles.
  let validated: unknown;
  try {
    validateProtocolDefinition(definition);
  } catch (error) {
    validated = error;
  }
  let compiled: CompiledProtocol;
  const started = performance.now();
  try {
    compiled = compileProtocol(definition, { onInternalError });
    const took = performance.now() - started;
    if (took > statistics.current.slowestCompileMs) statistics.current.slowestCompileMs = took;
    if (took > COMPILE_TIME_LIMIT_MS) escapes.push(`compiling took ${took.toFixed(0)} ms`);
    if (validated !== undefined) escapes.push(`protocol check rejected what compiles: ${describe(validated)}`);
  } catch (error) {
    statistics.current.rejected += 1;
    if (validated === undefined) escapes.push(`protocol check accepted what does not compile: ${describe(error)}`);
    if (!TickscopeError.isInstance(error)) escapes.push(`compile threw a non-TickscopeError: ${describe(error)}`);
    else if (error.code !== ErrorCode.definitionInvalid) escapes.push(`compile threw ${error.code}, not E_DEFINITION_INVALID: ${describe(error)}`);
    else if (!error.message.startsWith(`${error.fieldPath ?? ""}: `) && error.fieldPath !== undefined) escapes.push(`definition error without its JSON path first: ${describe(error)}`);
    return undefined;
  }
  statistics.current.accepted += 1;
  if (compiled.mode !== "compiled") escapes.push("code generation failed: fell back to the interpreter");
  try {
    return { compiled, interpreted: compileProtocol(definition, { mode: "interpreted", onInternalError }), internal };
  } catch (error) {
    escapes.push(`the interpreter rejected what the compiler accepted: ${describe(error)}`);
    return undefined;
  }
}

/** Encodes with one protocol: the bytes, or the TickscopeError message (anything else is an escape). */
function encodeOutcome(protocol: CompiledProtocol, messages: MessageToEncode[], header: DecodedDatagram["header"], escapes: string[]): Uint8Array | string {
  try {
    return protocol.encodeDatagram(messages, { header });
  } catch (error) {
    if (!TickscopeError.isInstance(error)) escapes.push(`encodeDatagram (${protocol.mode}) threw a non-TickscopeError: ${describe(error)}`);
    return TickscopeError.isInstance(error) ? `${error.code} ${error.message}` : describe(error);
  }
}

/** Whether a decoded value holds text that was not valid UTF-8 (decoded lossily to U+FFFD: re-encoding cannot give the bytes back). */
function lossyText(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\uFFFD");
  if (Array.isArray(value)) return value.some(lossyText);
  if (typeof value === "object" && value !== null && !(value instanceof Uint8Array)) return Object.values(value).some(lossyText);
  return false;
}

function toEncode(decoded: DecodedDatagram): MessageToEncode[] {
  return decoded.messages.map((message) => ({ type: message.type, fields: message.fields }));
}

/** Encodes a clean decode with both encoders; checks they agree and that decoding the bytes gives the same values. */
function checkRoundTrip(pair: Pair, decoded: DecodedDatagram, random: FuzzRandom, escapes: string[]): void {
  const started = performance.now();
  const bytes = encodeOutcome(pair.compiled, toEncode(decoded), decoded.header, escapes);
  const other = encodeOutcome(pair.interpreted, toEncode(decoded), decoded.header, escapes);
  if (performance.now() - started > DATAGRAM_TIME_LIMIT_MS) escapes.push(`encoding took ${(performance.now() - started).toFixed(0)} ms`);
  if (typeof bytes === "string" || typeof other === "string") {
    if (typeof bytes !== typeof other || (typeof bytes === "string" && bytes !== other)) escapes.push(`encoders disagree: ${String(bytes)} vs ${String(other)}`);
    return;
  }
  if (!isDeepStrictEqual(bytes, other)) {
    escapes.push(`encoders wrote different bytes: ${hex(bytes)} vs ${hex(other)}`);
    return;
  }
  const again = decodeChecked(pair.compiled, pair.interpreted, bytes, escapes, pair.internal);
  if (again === undefined) return;
  const values = (result: DecodedDatagram) => ({ header: result.header, messages: result.messages.map((message) => [message.type, message.fields]) });
  if (again.anomalies.length > 0 || !isDeepStrictEqual(values(again), values(decoded))) {
    escapes.push(`decode → encode → decode changed the values: encoded ${hex(bytes)}: ${difference(decoded, again)}`);
    return;
  }
  statistics.current.roundTrips += 1;
  for (const mutant of mutants(random, bytes)) decodeChecked(pair.compiled, pair.interpreted, mutant, escapes, pair.internal);
}

/** One hostile-definition case: validation and decoding agree on what is safe. Counts go to `into`. */
export function runHostileDefinitionCase(seed: number, into: DefinitionFuzzStatistics = emptyStatistics()): string[] {
  statistics.current = into;
  const escapes: string[] = [];
  const pair = compileBoth(generateHostileDefinition(seed), escapes);
  if (pair !== undefined) {
    const random = new FuzzRandom(seed ^ 0x5bd1e995);
    for (const datagram of randomDatagrams(random, 6)) {
      const decoded = decodeChecked(pair.compiled, pair.interpreted, datagram, escapes, pair.internal);
      if (decoded !== undefined && decoded.messages.length > 0) encodeOutcome(pair.compiled, toEncode(decoded), decoded.header, escapes);
    }
  }
  checkMemory(escapes);
  return escapes;
}

/** One parity case on a random valid definition; `rejected` is true when validation refused the definition. Counts go to `into`. */
export function runParityCase(seed: number, into: DefinitionFuzzStatistics = emptyStatistics()): { escapes: string[]; rejected: boolean } {
  statistics.current = into;
  const escapes: string[] = [];
  const pair = compileBoth(generateDefinition(seed), escapes);
  checkMemory(escapes);
  if (pair === undefined) return { escapes, rejected: escapes.length === 0 };
  const random = new FuzzRandom(seed ^ 0x27d4eb2f);
  for (const datagram of randomDatagrams(random, 10)) {
    const decoded = decodeChecked(pair.compiled, pair.interpreted, datagram, escapes, pair.internal);
    if (decoded !== undefined && decoded.anomalies.length === 0 && decoded.messages.length > 0 && !lossyText(decoded)) {
      statistics.current.cleanDecodes += 1;
      checkRoundTrip(pair, decoded, random, escapes);
    }
  }
  return { escapes, rejected: false };
}
