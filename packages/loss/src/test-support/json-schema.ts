/**
 * A minimal JSON Schema checker for the subset the report schemas use
 * (type, const, anyOf, properties/required, items, patternProperties,
 * minimum/maximum). Returns the list of violations (empty = valid).
 */
export function checkJsonSchema(schema: Record<string, unknown>, value: unknown, path = "$"): string[] {
  const errors: string[] = [];
  if (schema.anyOf !== undefined) {
    const options = schema.anyOf as Record<string, unknown>[];
    if (!options.some((option) => checkJsonSchema(option, value, path).length === 0)) errors.push(`${path}: matches no anyOf branch`);
    return errors;
  }
  if (schema.const !== undefined && value !== schema.const) errors.push(`${path}: expected const ${String(schema.const)}`);
  switch (schema.type) {
    case "number":
    case "integer":
      if (typeof value !== "number") return [`${path}: expected number`];
      if (schema.type === "integer" && !Number.isInteger(value)) errors.push(`${path}: expected integer, got ${value}`);
      if (typeof schema.minimum === "number" && value < schema.minimum) errors.push(`${path}: below minimum`);
      if (typeof schema.maximum === "number" && value > schema.maximum) errors.push(`${path}: above maximum`);
      break;
    case "string":
      if (typeof value !== "string") errors.push(`${path}: expected string`);
      break;
    case "boolean":
      if (typeof value !== "boolean") errors.push(`${path}: expected boolean`);
      break;
    case "null":
      if (value !== null) errors.push(`${path}: expected null`);
      break;
    case "array":
      if (!Array.isArray(value)) return [`${path}: expected array`];
      value.forEach((item, index) => errors.push(...checkJsonSchema(schema.items as Record<string, unknown>, item, `${path}[${index}]`)));
      break;
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${path}: expected object`];
      const record = value as Record<string, unknown>;
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const key of (schema.required ?? []) as string[]) if (!(key in record)) errors.push(`${path}.${key}: missing`);
      for (const [key, child] of Object.entries(properties)) if (key in record) errors.push(...checkJsonSchema(child, record[key], `${path}.${key}`));
      const patterns = schema.patternProperties as Record<string, Record<string, unknown>> | undefined;
      if (patterns !== undefined) {
        for (const [key, child] of Object.entries(record)) {
          for (const [pattern, childSchema] of Object.entries(patterns)) if (new RegExp(pattern).test(key)) errors.push(...checkJsonSchema(childSchema, child, `${path}.${key}`));
        }
      }
      break;
    }
    default:
      break;
  }
  return errors;
}
