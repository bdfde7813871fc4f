/**
 * A small JSON Schema checker for tests (type, enum, const, properties,
 * required, additionalProperties, items, anyOf, minimum/maximum): returns the
 * list of violations. Enough for the report schemas (plain and TypeBox).
 */
export function checkJsonSchema(schema: Record<string, unknown>, value: unknown, path = "$"): string[] {
  const errors: string[] = [];
  if (Array.isArray(schema.anyOf)) {
    const matches = (schema.anyOf as Record<string, unknown>[]).some((option) => checkJsonSchema(option, value, path).length === 0);
    if (!matches) errors.push(`${path}: no anyOf branch matches`);
    return errors;
  }
  if ("const" in schema && value !== schema.const) errors.push(`${path}: expected const ${String(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: ${String(value)} not in enum`);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    const actual =
      value === null ? "null" : Array.isArray(value) ? "array" : typeof value === "number" && Number.isInteger(value) ? "integer" : typeof value;
    const ok = types.some((type) => type === actual || (type === "number" && actual === "integer"));
    if (!ok) {
      errors.push(`${path}: expected ${types.join("|")}, got ${actual}`);
      return errors;
    }
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) errors.push(`${path}: below minimum`);
    if (typeof schema.maximum === "number" && value > schema.maximum) errors.push(`${path}: above maximum`);
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, index) => errors.push(...checkJsonSchema(schema.items as Record<string, unknown>, item, `${path}[${index}]`)));
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in record)) errors.push(`${path}.${key}: missing`);
    for (const [key, item] of Object.entries(record)) {
      if (properties[key] !== undefined) errors.push(...checkJsonSchema(properties[key], item, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}.${key}: not allowed`);
      else if (typeof schema.additionalProperties === "object") {
        errors.push(...checkJsonSchema(schema.additionalProperties as Record<string, unknown>, item, `${path}.${key}`));
      } else if (schema.patternProperties !== undefined) {
        for (const sub of Object.values(schema.patternProperties as Record<string, Record<string, unknown>>)) {
          errors.push(...checkJsonSchema(sub, item, `${path}.${key}`));
        }
      }
    }
  }
  return errors;
}
