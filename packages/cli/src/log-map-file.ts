import { Type } from "@sinclair/typebox";
import type { ServerLogMapping } from "@tickscope/capture";
import { parseJsonInput } from "./json-input.js";

const fieldName = (description: string) => Type.String({ minLength: 1, maxLength: 256, description });

/** Schema of a `--log-map` file: the `ServerLogMapping` of `@tickscope/capture` as JSON. */
export const LogMapSchema = Type.Object(
  {
    format: Type.Optional(Type.Union([Type.Literal("ndjson"), Type.Literal("csv")])),
    timeField: fieldName("field holding the event time"),
    timeUnit: Type.Union([Type.Literal("s"), Type.Literal("ms"), Type.Literal("us"), Type.Literal("ns"), Type.Literal("iso")]),
    clockOffsetUs: Type.Optional(Type.Number({ minimum: -1e15, maximum: 1e15, description: "added to every log time, µs" })),
    typeField: Type.Optional(fieldName("field holding the event type")),
    defaultType: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    sessionField: Type.Optional(fieldName("field holding the session id")),
    playerField: Type.Optional(fieldName("field holding the player id")),
    regionField: Type.Optional(fieldName("field holding the region label")),
    valueFields: Type.Optional(Type.Array(fieldName("numeric field"), { maxItems: 1024 })),
    labelFields: Type.Optional(Type.Array(fieldName("text field"), { maxItems: 1024 })),
    delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 8, pattern: '^[^"\\r\\n]+$', description: "CSV delimiter (not a quote or line break)" })),
  },
  { additionalProperties: false },
);

/**
 * Parses and validates a `--log-map` file's text into a server-log mapping.
 * Any problem throws one `E_INVALID_OPTION` naming the JSON path.
 */
export function parseLogMap(text: string, file = "--log-map"): ServerLogMapping {
  return parseJsonInput(LogMapSchema, text, {
    what: `log map '${file}'`,
    hint: 'e.g. {"format":"csv","timeField":"time","timeUnit":"ms","typeField":"event","valueFields":["rtt"]}',
  });
}
