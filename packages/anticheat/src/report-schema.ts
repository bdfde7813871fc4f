import { FindingSchema, SeveritySchema } from "@tickscope/core";

// TypeBox schemas are JSON Schema objects tagged with these registered symbols.
// The package may depend on @tickscope/core only, so the few builders needed are
// written here; the result is a regular TypeBox schema (Value.Check accepts it).
const Kind = Symbol.for("TypeBox.Kind");
const OptionalKind = Symbol.for("TypeBox.Optional");

/** A TypeBox-compatible JSON schema object. */
export type AnticheatSchema = Record<string | symbol, unknown>;

function stringSchema(description?: string): AnticheatSchema {
  return description === undefined ? { [Kind]: "String", type: "string" } : { [Kind]: "String", type: "string", description };
}
function numberSchema(extra: Record<string, unknown> = {}): AnticheatSchema {
  return { [Kind]: "Number", type: "number", ...extra };
}
function integerSchema(): AnticheatSchema {
  return { [Kind]: "Integer", type: "integer", minimum: 0 };
}
function literalSchema(value: string): AnticheatSchema {
  return { [Kind]: "Literal", type: "string", const: value };
}
function unionSchema(...anyOf: AnticheatSchema[]): AnticheatSchema {
  return { [Kind]: "Union", anyOf };
}
function arraySchema(items: unknown): AnticheatSchema {
  return { [Kind]: "Array", type: "array", items };
}
function optionalSchema(schema: AnticheatSchema): AnticheatSchema {
  return { ...schema, [OptionalKind]: "Optional" };
}
function recordSchema(value: AnticheatSchema): AnticheatSchema {
  return { [Kind]: "Record", type: "object", patternProperties: { "^.*$": value } };
}
function objectSchema(properties: Record<string, unknown>): AnticheatSchema {
  const required = Object.entries(properties)
    .filter(([, schema]) => (schema as AnticheatSchema)[OptionalKind] !== "Optional")
    .map(([name]) => name);
  return { [Kind]: "Object", type: "object", properties, required };
}

/** Schema of an {@link AnticheatFinding}: core's `FindingSchema` plus `mitigation`. */
export const AnticheatFindingSchema: AnticheatSchema = objectSchema({
  ...(FindingSchema.properties as Record<string, unknown>),
  mitigation: stringSchema("server-side mitigation"),
});

/** Schema of an {@link AuditFinding}. */
export const AuditFindingSchema: AnticheatSchema = objectSchema({
  id: stringSchema(),
  severity: SeveritySchema,
  title: stringSchema(),
  exploit: stringSchema(),
  fix: stringSchema(),
  location: optionalSchema(stringSchema()),
});

/** Schema of a {@link PlayerVerdict}. */
export const PlayerVerdictSchema: AnticheatSchema = objectSchema({
  player: stringSchema(),
  session: stringSchema(),
  verdict: unionSchema(literalSchema("clean"), literalSchema("suspicious"), literalSchema("cheating"), literalSchema("unreadable"), literalSchema("notTested")),
  score: numberSchema({ minimum: 0, maximum: 1 }),
  kinds: arraySchema(stringSchema()),
});

/** TypeBox schema of the {@link AnticheatReport} (the CLI's `--json` body). */
export const AnticheatReportSchema: AnticheatSchema = objectSchema({
  analysis: literalSchema("anticheat"),
  findings: arraySchema(AnticheatFindingSchema),
  audit: arraySchema(AuditFindingSchema),
  players: arraySchema(PlayerVerdictSchema),
  summary: objectSchema({
    sessions: integerSchema(),
    clientMessages: integerSchema(),
    serverMessages: integerSchema(),
    packets: integerSchema(),
    anomalies: recordSchema(integerSchema()),
    legitimateRetransmissions: integerSchema(),
    networkDuplicates: integerSchema(),
    measuredRttSamples: integerSchema(),
    sharedOutagesDiscarded: integerSchema(),
    handshakeRetries: integerSchema(),
    inputProblemSessions: integerSchema(),
  }),
});
