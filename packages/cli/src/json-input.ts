import type { TSchema, Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ErrorCode, TickscopeError } from "@tickscope/core";

/** Longest JSON text accepted for a user-written settings file (config, log map, profile...). */
export const MAX_JSON_INPUT_CHARACTERS = 16 * 1024 * 1024;

/** Describes what a JSON input is, for error messages: `config file 'x.json'`, `log map`... */
export interface JsonInputDescription {
  /** What the input is, e.g. `config file 'tickscope.config.json'`. */
  what: string;
  /** A hint printed under the error (an example, or where the keys are documented). */
  hint: string;
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? "nothing" : (JSON.stringify(value) ?? String(value));
  } catch {
    // JSON.stringify throws on a value nested deeper than the stack (and so would String())
    text = Array.isArray(value) ? "a deeply nested array" : typeof value === "object" && value !== null ? "a deeply nested object" : typeof value;
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function constantsOf(schema: TSchema): unknown[] | undefined {
  const members = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!Array.isArray(members) || members.length === 0) return undefined;
  const constants: unknown[] = [];
  for (const member of members) {
    if (!("const" in member)) return undefined;
    constants.push((member as unknown as { const: unknown }).const);
  }
  return constants;
}

/**
 * Validates `value` against `schema`; the first problem becomes one
 * `E_INVALID_OPTION` error naming the JSON path (`/analyses/latency/ack`), what
 * was expected and what was found.
 */
export function validateJsonInput<S extends TSchema>(schema: S, value: unknown, description: JsonInputDescription): Static<S> {
  if (Value.Check(schema, value)) return value as Static<S>;
  const first = Value.Errors(schema, value).First();
  const path = first?.path || "/";
  const constants = first === undefined ? undefined : constantsOf(first.schema);
  const expected = constants !== undefined ? `expected one of ${constants.map((constant) => JSON.stringify(constant)).join(", ")}` : (first?.message ?? "invalid value");
  throw new TickscopeError(ErrorCode.invalidOption, `${description.what} ${path}: ${expected} (got ${preview(first?.value)})`, {
    fieldPath: path,
    hint: description.hint,
  });
}

/**
 * Parses a user-written JSON document and validates it against `schema`
 * (see {@link validateJsonInput}). Syntax errors, oversized text and schema
 * violations all become `E_INVALID_OPTION`; nothing else escapes.
 */
export function parseJsonInput<S extends TSchema>(schema: S, text: string, description: JsonInputDescription): Static<S> {
  if (text.length > MAX_JSON_INPUT_CHARACTERS) {
    throw new TickscopeError(ErrorCode.invalidOption, `${description.what} is ${text.length} characters, more than ${MAX_JSON_INPUT_CHARACTERS}`, {
      hint: description.hint,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TickscopeError(ErrorCode.invalidOption, `${description.what} is not JSON: ${(error as Error).message}`, { hint: "fix the JSON syntax", cause: error });
  }
  return validateJsonInput(schema, value, description);
}
