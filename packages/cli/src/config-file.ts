import { existsSync } from "node:fs";
import { Type, type Static } from "@sinclair/typebox";
import { SEVERITIES } from "@tickscope/core";
import { ANALYSIS_SETTINGS_SCHEMAS } from "./analysis-settings-schema.js";
import { ANALYSIS_NAMES } from "./analysis-section.js";
import { parseJsonInput } from "./json-input.js";
import { readTextFile } from "./load-inputs.js";
import { REPORT_FORMAT_NAMES } from "./report-format-names.js";

/** Default config file name, looked up in the working directory. */
export const DEFAULT_CONFIG_FILE = "tickscope.config.json";

const path = (description: string) => Type.String({ minLength: 1, maxLength: 4096, description });

/** Schema of `tickscope.config.json`; command-line options override it. */
export const TickscopeConfigSchema = Type.Object(
  {
    protocol: Type.Optional(path("protocol definition path")),
    keys: Type.Optional(path("key file path")),
    serverPorts: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { maxItems: 1024 })),
    only: Type.Optional(Type.Array(Type.Union(ANALYSIS_NAMES.map((name) => Type.Literal(name))), { minItems: 1 })),
    failOn: Type.Optional(Type.Union(SEVERITIES.map((severity) => Type.Literal(severity)))),
    formats: Type.Optional(Type.Array(Type.Union(REPORT_FORMAT_NAMES.map((name) => Type.Literal(name))), { minItems: 1 })),
    out: Type.Optional(path("report directory")),
    regions: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 256 }), path("capture path of the region"))),
    analyses: Type.Optional(
      Type.Object(
        {
          latency: Type.Optional(ANALYSIS_SETTINGS_SCHEMAS.latency),
          loss: Type.Optional(ANALYSIS_SETTINGS_SCHEMAS.loss),
          bandwidth: Type.Optional(ANALYSIS_SETTINGS_SCHEMAS.bandwidth),
          anticheat: Type.Optional(ANALYSIS_SETTINGS_SCHEMAS.anticheat),
          regions: Type.Optional(ANALYSIS_SETTINGS_SCHEMAS.regions),
        },
        { additionalProperties: false, description: "options passed to each analysis (thresholds...)" },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Contents of `tickscope.config.json`. */
export type TickscopeConfig = Static<typeof TickscopeConfigSchema>;

/**
 * Parses and validates the text of a config file. Any problem (JSON syntax, a
 * wrong type, an unknown key, a value out of range) throws one
 * `E_INVALID_OPTION` naming the JSON path; `file` only names the input.
 */
export function parseConfig(text: string, file = DEFAULT_CONFIG_FILE): TickscopeConfig {
  return parseJsonInput(TickscopeConfigSchema, text, {
    what: `config file '${file}'`,
    hint: "see `tickscope analyze --help` and the cli README for the keys",
  });
}

/** Reads and validates a config file; without an explicit path, uses `tickscope.config.json` when present. */
export async function loadConfig(file: string | undefined): Promise<TickscopeConfig> {
  const chosen = file ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (chosen === undefined) return {};
  return parseConfig(await readTextFile(chosen, "config file"), chosen);
}
