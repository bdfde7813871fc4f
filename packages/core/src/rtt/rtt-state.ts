import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
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
  if (Value.Check(schema, value)) return value;
  const first = Value.Errors(schema, value).First();
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
