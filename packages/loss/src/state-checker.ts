import type { JsonSchema } from "./schema-builder.js";

/** A compiled check: the first violation as `path: problem`, or undefined when the value fits. */
export type StateCheck = (value: unknown, path?: string) => string | undefined;

/**
 * Compiles a schema of this package's `SchemaType` subset (what TypeBox's
 * `Value.Check` would accept for these schemas: type, const, anyOf,
 * properties/required, items, patternProperties, minimum/maximum, pattern,
 * maxLength, minItems/maxItems) into a check function. Numbers must be finite
 * (JSON has no NaN). Used to validate saved states before a merge.
 */
export function compileStateCheck(schema: JsonSchema): StateCheck {
  const options = schema.anyOf as JsonSchema[] | undefined;
  if (options !== undefined) {
    const checks = options.map(compileStateCheck);
    return (value, path = "$") => {
      let first: string | undefined;
      for (const check of checks) {
        const problem = check(value, path);
        if (problem === undefined) return undefined;
        first ??= problem;
      }
      return checks.length === 1 ? first : `${path}: matches none of ${checks.length} allowed forms (first: ${first})`;
    };
  }
  const constant = schema.const;
  switch (schema.type) {
    case "number":
    case "integer": {
      const integer = schema.type === "integer";
      const minimum = schema.minimum as number | undefined;
      const maximum = schema.maximum as number | undefined;
      return (value, path = "$") => {
        if (typeof value !== "number" || !Number.isFinite(value)) return `${path}: expected a finite number, got ${describe(value)}`;
        if (integer && !Number.isInteger(value)) return `${path}: expected an integer, got ${value}`;
        if (minimum !== undefined && value < minimum) return `${path}: ${value} is below ${minimum}`;
        if (maximum !== undefined && value > maximum) return `${path}: ${value} is above ${maximum}`;
        return undefined;
      };
    }
    case "string": {
      const pattern = typeof schema.pattern === "string" ? new RegExp(schema.pattern) : undefined;
      const maxLength = schema.maxLength as number | undefined;
      return (value, path = "$") => {
        if (typeof value !== "string") return `${path}: expected a string, got ${describe(value)}`;
        if (constant !== undefined && value !== constant) return `${path}: expected "${String(constant)}", got "${value.slice(0, 40)}"`;
        if (maxLength !== undefined && value.length > maxLength) return `${path}: string of ${value.length} characters, at most ${maxLength}`;
        if (pattern !== undefined && !pattern.test(value)) return `${path}: "${value.slice(0, 40)}" does not match ${pattern.source}`;
        return undefined;
      };
    }
    case "boolean":
      return (value, path = "$") => (typeof value === "boolean" ? undefined : `${path}: expected a boolean, got ${describe(value)}`);
    case "null":
      return (value, path = "$") => (value === null ? undefined : `${path}: expected null, got ${describe(value)}`);
    case "array": {
      const items = compileStateCheck(schema.items as JsonSchema);
      const minItems = (schema.minItems as number | undefined) ?? 0;
      const maxItems = (schema.maxItems as number | undefined) ?? Number.POSITIVE_INFINITY;
      return (value, path = "$") => {
        if (!Array.isArray(value)) return `${path}: expected an array, got ${describe(value)}`;
        if (value.length < minItems || value.length > maxItems) return `${path}: array of ${value.length} items, allowed ${minItems}–${maxItems}`;
        for (let index = 0; index < value.length; index++) {
          const problem = items(value[index], `${path}[${index}]`);
          if (problem !== undefined) return problem;
        }
        return undefined;
      };
    }
    case "object": {
      const properties = Object.entries((schema.properties as Record<string, JsonSchema> | undefined) ?? {}).map(
        ([key, property]) => [key, compileStateCheck(property)] as const,
      );
      const patterns = schema.patternProperties as Record<string, JsonSchema> | undefined;
      const values = patterns === undefined ? undefined : compileStateCheck(Object.values(patterns)[0]!);
      return (value, path = "$") => {
        if (typeof value !== "object" || value === null || Array.isArray(value)) return `${path}: expected an object, got ${describe(value)}`;
        const record = value as Record<string, unknown>;
        for (const [key, check] of properties) {
          if (!Object.hasOwn(record, key)) return `${path}.${key}: missing`;
          const problem = check(record[key], `${path}.${key}`);
          if (problem !== undefined) return problem;
        }
        if (values !== undefined) {
          for (const key of Object.keys(record)) {
            const problem = values(record[key], `${path}.${key}`);
            if (problem !== undefined) return problem;
          }
        }
        return undefined;
      };
    }
    default:
      return () => undefined;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return String(value);
  return typeof value;
}
