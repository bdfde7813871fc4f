/**
 * The fuzzing contract of tickscope's readers, shared by the short runs in
 * `pnpm test` and the long runs of `pnpm fuzz`: a reader fed any bytes either
 * finishes (damage counted as anomalies) or throws a TickscopeError with a
 * stable code, within a time bound per input and a memory bound per process.
 * Anything else is an escape.
 */
import { ErrorCode, TickscopeError } from "@tickscope/core";

/** Codes a reader may throw. */
const STABLE_CODES = new Set<string>(Object.values(ErrorCode));

/** Longest time one input may take (the readers are linear; a slow input is a hang in the making). */
export const FUZZ_TIME_LIMIT_MS = 2000;

/** Resident memory the fuzzing process must stay under (readers bound their buffers to tens of MiB). */
export const FUZZ_RSS_LIMIT_BYTES = 1024 * 1024 * 1024;

/** A deterministic PRNG (mulberry32): the same seed gives the same mutations. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** One edit of an input. Positions and values are reduced modulo what the input allows. */
export interface Mutation {
  /** What to do. */
  kind: "flip" | "byte" | "word16" | "word32" | "cut" | "delete" | "insert" | "duplicate" | "token" | "splice" | "field";
  /** Where (modulo the input length). */
  position: number;
  /** With what (a bit, a byte, an index into the interesting values or tokens, a length). */
  value: number;
}

/** Every {@link Mutation} kind. */
export const MUTATION_KINDS: readonly Mutation["kind"][] = ["flip", "byte", "word16", "word32", "cut", "delete", "insert", "duplicate", "token", "splice", "field", "field"];

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x0d, 0x20, 0x22, 0x2c, 0x7b];
const INTERESTING_16 = [0x0000, 0x0001, 0x7fff, 0x8000, 0xffff, 0x0800, 0x86dd, 0x0014, 0x0009, 0x000e];
const INTERESTING_32 = [
  0x00000000, 0x00000001, 0x0000000c, 0x00000010, 0x0000001c, 0x00000020, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffc, 0x00001000, 0x01000000,
  0x0a0d0d0a, 0x1a2b3c4d, 0xa1b2c3d4, 0x00000006, 0x00000bad,
];

/**
 * Applies mutations in order; `donor` supplies bytes for `splice` (another
 * seed), `tokens` for `token`, and `fields` the offsets of the input's 32-bit
 * header fields (lengths, timestamps, ids) for `field`, which flips one bit of
 * such a field or sets it to an interesting value.
 */
export function applyMutations(input: Uint8Array, mutations: readonly Mutation[], donor: Uint8Array, tokens: readonly Uint8Array[], fields: readonly number[] = []): Uint8Array {
  let bytes: Uint8Array = Uint8Array.from(input);
  for (const mutation of mutations) {
    const length = bytes.length;
    const position = length === 0 ? 0 : mutation.position % length;
    const value = Math.abs(Math.trunc(mutation.value));
    switch (mutation.kind) {
      case "flip":
        if (length > 0) bytes[position] ^= 1 << (value % 8);
        break;
      case "byte":
        if (length > 0) bytes[position] = value % 3 === 0 ? value & 0xff : INTERESTING_8[value % INTERESTING_8.length];
        break;
      case "word16":
        if (position + 2 <= length) new DataView(bytes.buffer).setUint16(position, INTERESTING_16[value % INTERESTING_16.length], value % 2 === 0);
        break;
      case "word32":
        if (position + 4 <= length) {
          const view = new DataView(bytes.buffer);
          const word = value % 4 === 0 ? view.getUint32(position, true) + (value % 8) - 4 : INTERESTING_32[value % INTERESTING_32.length];
          view.setUint32(position, word >>> 0, value % 2 === 0);
        }
        break;
      case "cut":
        bytes = bytes.slice(0, position);
        break;
      case "delete":
        bytes = concatenate(bytes.subarray(0, position), bytes.subarray(Math.min(length, position + 1 + (value % 64))));
        break;
      case "insert": {
        const random = seededRandom(value);
        const extra = Uint8Array.from({ length: 1 + (value % 32) }, () => Math.floor(random() * 256));
        bytes = concatenate(bytes.subarray(0, position), extra, bytes.subarray(position));
        break;
      }
      case "duplicate": {
        const piece = bytes.slice(position, Math.min(length, position + 1 + (value % 256)));
        bytes = concatenate(bytes.subarray(0, position), piece, bytes.subarray(position));
        break;
      }
      case "token":
        if (tokens.length > 0) bytes = concatenate(bytes.subarray(0, position), tokens[value % tokens.length], bytes.subarray(position));
        break;
      case "field": {
        const offset = fields.length === 0 ? position : fields[mutation.position % fields.length];
        if (offset + 4 > length) break;
        const view = new DataView(bytes.buffer);
        const littleEndian = (value >>> 10) % 2 === 0;
        const word = value % 3 === 0 ? INTERESTING_32[(value >>> 2) % INTERESTING_32.length] : view.getUint32(offset, littleEndian) ^ (1 << ((value >>> 2) % 32));
        view.setUint32(offset, word >>> 0, littleEndian);
        break;
      }
      case "splice": {
        if (donor.length === 0) break;
        const from = value % donor.length;
        const piece = donor.subarray(from, Math.min(donor.length, from + 1 + ((value >>> 8) % 512)));
        bytes = concatenate(bytes.subarray(0, position), piece, bytes.subarray(Math.min(length, position + piece.length)));
        break;
      }
    }
  }
  return bytes;
}

/** 1–4 random mutations drawn from a PRNG (what `pnpm fuzz` uses; fast-check draws them in `pnpm test`). */
export function randomMutations(random: () => number): Mutation[] {
  const count = 1 + Math.floor(random() * random() * 4);
  return Array.from({ length: count }, () => ({
    kind: MUTATION_KINDS[Math.floor(random() * MUTATION_KINDS.length)],
    position: Math.floor(random() * 0x7fffffff),
    value: Math.floor(random() * 0x7fffffff),
  }));
}

function concatenate(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A reader under fuzzing: valid seed inputs and how to feed it one input. */
export interface FuzzTarget {
  /** Stable name (`pcapng`, `gzip`, `server-log-csv`, ...). */
  name: string;
  /** Valid inputs that mutations start from. */
  seeds: readonly Uint8Array[];
  /** Text fragments worth inserting (format syntax), for the `token` mutation. */
  tokens: readonly Uint8Array[];
  /** Offsets of each seed's 32-bit header fields, for the `field` mutation (default: none, `field` acts at a random offset). */
  fields?: readonly (readonly number[])[];
  /** Feeds one input; `variant` picks an option set (engine, mapping...). Must finish or throw a TickscopeError. */
  run(input: Uint8Array, variant: number): Promise<unknown> | unknown;
}

/** Why an input broke the contract, or undefined when it held. */
export async function checkContract(target: FuzzTarget, input: Uint8Array, variant: number, timeLimitMs = FUZZ_TIME_LIMIT_MS): Promise<string | undefined> {
  const started = performance.now();
  let escape: string | undefined;
  try {
    await target.run(input, variant);
  } catch (error) {
    if (!TickscopeError.isInstance(error)) {
      escape = `untyped ${(error as Error)?.name ?? typeof error}: ${(error as Error)?.message ?? String(error)}`;
    } else if (!STABLE_CODES.has(error.code)) {
      escape = `TickscopeError with unknown code ${String(error.code)}: ${error.message}`;
    }
  }
  const elapsedMs = performance.now() - started;
  if (escape === undefined && elapsedMs > timeLimitMs) escape = `took ${elapsedMs.toFixed(0)} ms on ${input.length} bytes (limit ${timeLimitMs} ms)`;
  if (escape === undefined && process.memoryUsage.rss() > FUZZ_RSS_LIMIT_BYTES) {
    escape = `resident memory ${(process.memoryUsage.rss() / 1048576).toFixed(0)} MB over ${FUZZ_RSS_LIMIT_BYTES / 1048576} MB`;
  }
  return escape;
}

/** The input of case `caseSeed` of a target: a seed input (and variant) picked and mutated by the PRNG. */
export function fuzzCase(target: FuzzTarget, caseSeed: number): { input: Uint8Array; variant: number } {
  const random = seededRandom(caseSeed);
  const seedIndex = Math.floor(random() * target.seeds.length);
  const donor = target.seeds[Math.floor(random() * target.seeds.length)];
  const variant = Math.floor(random() * 1024);
  return { input: applyMutations(target.seeds[seedIndex], randomMutations(random), donor, target.tokens, target.fields?.[seedIndex]), variant };
}

/** One contract violation, reproducible from its case seed. */
export interface FuzzFinding {
  /** Target name. */
  target: string;
  /** Case seed: `fuzzCase(target, seed)` rebuilds the input. */
  seed: number;
  /** What went wrong. */
  message: string;
}

/** Runs `cases` PRNG cases of a target, case `i` with seed `seed + i`; returns the findings. */
export async function runTargetCases(target: FuzzTarget, cases: number, seed: number): Promise<FuzzFinding[]> {
  const findings: FuzzFinding[] = [];
  for (let index = 0; index < cases; index++) {
    const caseSeed = (seed + index) >>> 0;
    const { input, variant } = fuzzCase(target, caseSeed);
    const message = await checkContract(target, input, variant);
    // keep the first 1,000 (a systematic failure would otherwise fill memory)
    if (message !== undefined && findings.length < 1000) findings.push({ target: target.name, seed: caseSeed, message });
  }
  return findings;
}
