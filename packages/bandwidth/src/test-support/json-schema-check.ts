/** Minimal JSON Schema checker for tests (type, enum, const, properties, required, additionalProperties, items). */
export function schemaErrors(schema: Record<string, unknown>, value: unknown, path = "$"): string[] {
  const errors: string[] = [];
  if ("const" in schema && value !== schema.const) errors.push(`${path}: expected ${String(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: ${String(value)} not in enum`);
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  if (types.length > 0) {
    const actual = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
    const ok = types.some((type) => (type === "integer" ? typeof value === "number" && Number.isInteger(value) : type === actual));
    if (!ok) return [...errors, `${path}: expected ${types.join("|")}, got ${actual}`];
  }
  if (typeof schema.minimum === "number" && typeof value === "number" && value < schema.minimum) errors.push(`${path}: below minimum`);
  if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, index) => errors.push(...schemaErrors(schema.items as Record<string, unknown>, item, `${path}[${index}]`)));
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in record)) errors.push(`${path}.${key}: missing`);
    for (const [key, item] of Object.entries(record)) {
      if (properties[key] !== undefined) errors.push(...schemaErrors(properties[key]!, item, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}.${key}: not allowed`);
      else if (typeof schema.additionalProperties === "object") errors.push(...schemaErrors(schema.additionalProperties as Record<string, unknown>, item, `${path}.${key}`));
    }
  }
  return errors;
}
