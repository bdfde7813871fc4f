import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import { ErrorCode, TickscopeError } from "../errors.js";

/**
 * A number that may be non-finite, as JSON-safe plain data: a finite number as
 * itself, NaN as `null`, ±Infinity as the strings `"Infinity"` / `"-Infinity"`.
 */
export type EncodedNumber = number | null | "Infinity" | "-Infinity";

/** TypeBox schema of {@link EncodedNumber}. */
export const encodedNumberSchema = Type.Union([Type.Number(), Type.Null(), Type.Literal("Infinity"), Type.Literal("-Infinity")]);

/** Encodes a number for a saved state (see {@link EncodedNumber}). */
export function encodeNumber(value: number): EncodedNumber {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return null;
  return value > 0 ? "Infinity" : "-Infinity";
}

/** Decodes an {@link EncodedNumber}. */
export function decodeNumber(value: EncodedNumber): number {
  if (value === null) return Number.NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  return value;
}

/** A non-negative safe integer (counts, packet indices). */
export const countSchema = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/**
 * Checks `value` against `schema` and throws `E_BAD_PARTIAL` naming the first
 * offending path when it does not match. `what` names the state in the message
 * (e.g. "latency state"). Returns the value typed by the schema.
 */
export function checkState<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  const checker = compiledChecker(schema);
  if (checker.Check(value)) return value;
  const first = checker.Errors(value).First();
  const path = first === undefined || first.path === "" ? "/" : first.path;
  throw new TickscopeError(ErrorCode.badPartial, `${what} is not a state this version saved: at ${path}: ${first?.message ?? "does not match the schema"}`, {
    fieldPath: path,
    hint: "merge only states saved by the same tickscope version with the same analysis (tickscope analyze --partial)",
  });
}

/** Throws `E_BAD_PARTIAL` for a state that passed the schema but is inconsistent (`path`: where). */
export function badState(what: string, path: string, problem: string): never {
  throw new TickscopeError(ErrorCode.badPartial, `${what} is not a state this version saved: at ${path}: ${problem}`, {
    fieldPath: path,
    hint: "merge only states saved by the same tickscope version with the same analysis (tickscope analyze --partial)",
  });
}

/** Compiled checkers by schema (states are checked at every merge; compiling once makes that a few ms per MB). */
const compiledCheckers = new WeakMap<TSchema, TypeCheck<TSchema>>();

function compiledChecker<T extends TSchema>(schema: T): TypeCheck<T> {
  let checker = compiledCheckers.get(schema);
  if (checker === undefined) {
    checker = TypeCompiler.Compile(schema);
    compiledCheckers.set(schema, checker);
  }
  return checker as TypeCheck<T>;
}
