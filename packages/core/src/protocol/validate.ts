import { Value, type ValueError } from "@sinclair/typebox/value";
import { ErrorCode, TickscopeError } from "../errors.js";
import { ProtocolDefinitionSchema, type ProtocolDefinition } from "./definition-schema.js";
import { compileTrafficMatch } from "./traffic-match.js";
import { buildPlan, MAX_NESTING_DEPTH, type ProtocolPlan } from "./plan.js";

/** Deepest JSON nesting accepted before schema validation (guards the validator's recursion). */
export const MAX_JSON_DEPTH = MAX_NESTING_DEPTH * 4 + 16;
/** Largest definition text accepted by {@link parseProtocolDefinition}. */
export const MAX_DEFINITION_CHARS = 16 * 1024 * 1024;

function checkJsonDepth(value: unknown): void {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: "" }];
  let visited = 0;
  while (stack.length > 0) {
    const item = stack.pop()!;
    visited += 1;
    if (visited > 2_000_000) throw new TickscopeError(ErrorCode.definitionInvalid, "definition is too large", { fieldPath: "" });
    if (item.depth > MAX_JSON_DEPTH) {
      throw new TickscopeError(ErrorCode.definitionInvalid, `${item.path || "/"}: nested deeper than ${MAX_JSON_DEPTH} levels`, { fieldPath: item.path });
    }
    if (typeof item.value !== "object" || item.value === null) continue;
    if (Array.isArray(item.value)) item.value.forEach((child, index) => stack.push({ value: child, depth: item.depth + 1, path: `${item.path}/${index}` }));
    else for (const [key, child] of Object.entries(item.value)) stack.push({ value: child, depth: item.depth + 1, path: `${item.path}/${key}` });
  }
}

/**
 * Replaces a union's "Expected union value" by the problems of the variant that
 * came closest (fewest problems), when those lie deeper than the union: a bad
 * xor key is reported at `/transforms/0/keys/abc`, not at `/transforms/0`.
 */
function specificErrors(errors: ValueError[], depth = 0): ValueError[] {
  return errors.flatMap((error) => {
    if (depth > MAX_JSON_DEPTH || error.errors.length === 0) return [error];
    // Fewest problems first; among equals, a variant whose problems lie inside the value (it matched the shape).
    const deeper = (problems: ValueError[]) => problems.length > 0 && problems.every((problem) => problem.path.length > error.path.length);
    let best: ValueError[] | undefined;
    for (const variant of error.errors) {
      const problems = [...variant];
      if (best === undefined || problems.length < best.length || (problems.length === best.length && deeper(problems) && !deeper(best))) best = problems;
    }
    if (best === undefined || !deeper(best)) return [error];
    return specificErrors(best, depth + 1);
  });
}

/**
 * Validates a definition object against {@link ProtocolDefinitionSchema} and the
 * language's semantic rules (names, references, sizes, nesting, recursion).
 * Throws `E_DEFINITION_INVALID` whose message starts with the JSON path of the
 * first problem, e.g. `/messages/0/fields/2/bits: Expected integer`.
 * Returns the definition, typed.
 */
export function validateProtocolDefinition(definition: unknown): ProtocolDefinition {
  planProtocolDefinition(definition);
  return definition as ProtocolDefinition;
}

/** Validates and normalizes a definition (internal plan used by the compiler). */
export function planProtocolDefinition(definition: unknown): ProtocolPlan {
  checkJsonDepth(definition);
  if (!Value.Check(ProtocolDefinitionSchema, definition)) {
    const errors = specificErrors([...Value.Errors(ProtocolDefinitionSchema, definition)]);
    // The deepest path is the most specific problem (unions report at their parent too).
    errors.sort((a, b) => b.path.split("/").length - a.path.split("/").length);
    const first = errors[0];
    const path = first?.path || "/";
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? "s" : ""})` : "";
    throw new TickscopeError(ErrorCode.definitionInvalid, `${path}: ${first?.message ?? "invalid"}${more}`, { fieldPath: path });
  }
  const plan = buildPlan(definition as ProtocolDefinition);
  compileTrafficMatch(definition as ProtocolDefinition);
  return plan;
}

/** Parses definition JSON text and validates it (bad JSON is `E_DEFINITION_INVALID` too). */
export function parseProtocolDefinition(text: string): ProtocolDefinition {
  if (text.length > MAX_DEFINITION_CHARS) {
    throw new TickscopeError(ErrorCode.definitionInvalid, `definition longer than ${MAX_DEFINITION_CHARS} characters`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new TickscopeError(ErrorCode.definitionInvalid, `not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return validateProtocolDefinition(value);
}
