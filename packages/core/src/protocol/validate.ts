import { Value, ValueErrorType, type ValueError } from "@sinclair/typebox/value";
import { ErrorCode, TickscopeError } from "../errors.js";
import { ProtocolDefinitionSchema, type ProtocolDefinition } from "./definition-schema.js";
import { compileTrafficMatch } from "./traffic-match.js";
import { buildPlan, MAX_NESTING_DEPTH, type ProtocolPlan } from "./plan.js";
import { findJsonSyntaxProblem } from "./json-syntax.js";
import { nearestName } from "./nearest-name.js";

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

/** One problem of a protocol definition: where (JSON pointer) and what. */
export interface DefinitionProblem {
  /** JSON path of the problem, e.g. `/messages/0/fields/2/role` (`/` for the whole document). */
  path: string;
  /** What is wrong, with the nearest valid name when there is one (`did you mean "sendTime"?`). */
  message: string;
}

function lastPathSegment(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1).replace(/~1/g, "/").replace(/~0/g, "~");
}

/** The allowed string constants of a union of literals (roles, field types), else undefined. */
function literalChoices(schema: unknown): string[] | undefined {
  const variants = (schema as { anyOf?: unknown[] } | undefined)?.anyOf;
  if (!Array.isArray(variants) || variants.length === 0) return undefined;
  const choices = variants.map((variant) => (variant as { const?: unknown }).const);
  return choices.every((choice): choice is string => typeof choice === "string") ? choices : undefined;
}

/** Rewrites a schema error in words a user can act on (unknown names get the nearest valid one). */
function describeSchemaError(error: ValueError): string {
  const choices = literalChoices(error.schema);
  if (choices !== undefined) {
    const what = lastPathSegment(error.path) || "value";
    if (typeof error.value !== "string") return `expected a ${what} name (one of: ${choices.join(", ")})`;
    const nearest = nearestName(error.value, choices);
    return nearest === undefined
      ? `${JSON.stringify(error.value)} is not a valid ${what} (one of: ${choices.join(", ")})`
      : `${JSON.stringify(error.value)} is not a valid ${what}; did you mean ${JSON.stringify(nearest)}?`;
  }
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    const properties = Object.keys((error.schema as { properties?: Record<string, unknown> }).properties ?? {});
    const name = lastPathSegment(error.path);
    const nearest = nearestName(name, properties);
    const allowed = properties.length === 0 ? "" : ` (allowed: ${properties.join(", ")})`;
    return nearest === undefined ? `unknown property ${JSON.stringify(name)}${allowed}` : `unknown property ${JSON.stringify(name)}; did you mean ${JSON.stringify(nearest)}?`;
  }
  return error.message;
}

/**
 * Every schema problem of a definition object (all of them, deepest first,
 * each once), or, when the schema holds, the first problem of the language's
 * semantic rules (names, references, sizes, nesting, recursion). An empty list
 * means the definition is valid.
 */
export function findProtocolDefinitionProblems(definition: unknown): DefinitionProblem[] {
  try {
    planProtocolDefinition(definition);
    return [];
  } catch (error) {
    if (error instanceof DefinitionProblemsError) return [...error.problems];
    if (TickscopeError.isInstance(error) && error.code === ErrorCode.definitionInvalid) {
      return [{ path: error.fieldPath || "/", message: error.message.startsWith(`${error.fieldPath}: `) ? error.message.slice(error.fieldPath!.length + 2) : error.message }];
    }
    throw error;
  }
}

/** `E_DEFINITION_INVALID` listing every schema problem (message: `path: what; path: what`). */
class DefinitionProblemsError extends TickscopeError {
  readonly problems: readonly DefinitionProblem[];

  constructor(problems: readonly DefinitionProblem[]) {
    const first = problems[0]!;
    const listed = problems.map((problem) => `${problem.path}: ${problem.message}`).join("; ");
    super(ErrorCode.definitionInvalid, problems.length === 1 ? listed : `${listed} (${problems.length} problems)`, { fieldPath: first.path });
    this.problems = problems;
  }
}

/**
 * Validates a definition object against {@link ProtocolDefinitionSchema} and the
 * language's semantic rules (names, references, sizes, nesting, recursion).
 * Throws `E_DEFINITION_INVALID` whose message starts with the JSON path of the
 * first problem and lists every schema problem, e.g.
 * `/messages/0/fields/2/bits: Expected integer; /messages/1/fields/0/role: "sendTim" is not a valid role; did you mean "sendTime"? (2 problems)`.
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
    const problems: DefinitionProblem[] = [];
    const seen = new Set<string>();
    const missing = new Set(errors.filter((error) => error.type === ValueErrorType.ObjectRequiredProperty).map((error) => error.path));
    for (const error of errors) {
      const path = error.path || "/";
      // A missing property is also "Expected object" etc. at the same path: say it once.
      if (error.type !== ValueErrorType.ObjectRequiredProperty && missing.has(error.path) && error.value === undefined) continue;
      const message = error.type === ValueErrorType.ObjectRequiredProperty ? `required property ${JSON.stringify(lastPathSegment(path))} is missing` : describeSchemaError(error);
      const key = `${path}\u0000${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push({ path, message });
    }
    if (problems.length === 0) problems.push({ path: "/", message: "invalid" });
    throw new DefinitionProblemsError(problems);
  }
  const plan = buildPlan(definition as ProtocolDefinition);
  compileTrafficMatch(definition as ProtocolDefinition);
  return plan;
}

/**
 * The `E_DEFINITION_INVALID` error for JSON text that does not parse, naming the
 * line and column of the first syntax error (`not valid JSON: line 2, column 16: expected a value, found ","`).
 */
export function jsonSyntaxError(text: string, cause: unknown): TickscopeError {
  const problem = findJsonSyntaxProblem(text);
  if (problem === undefined) return new TickscopeError(ErrorCode.definitionInvalid, `not valid JSON: ${(cause as Error).message}`, { cause });
  return new TickscopeError(ErrorCode.definitionInvalid, `not valid JSON: line ${problem.line}, column ${problem.column}: ${problem.message}`, {
    cause,
    hint: `fix the JSON syntax at line ${problem.line}, column ${problem.column}`,
  });
}

/** Parses definition JSON text and validates it (bad JSON is `E_DEFINITION_INVALID` too, with its line and column). */
export function parseProtocolDefinition(text: string): ProtocolDefinition {
  if (text.length > MAX_DEFINITION_CHARS) {
    throw new TickscopeError(ErrorCode.definitionInvalid, `definition longer than ${MAX_DEFINITION_CHARS} characters`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw jsonSyntaxError(text, cause);
  }
  return validateProtocolDefinition(value);
}
