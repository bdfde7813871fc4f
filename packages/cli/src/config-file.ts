import { existsSync } from "node:fs";
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ErrorCode, SEVERITIES, TickscopeError } from "@tickscope/core";
import { ANALYSIS_NAMES } from "./analysis-section.js";
import { readTextFile } from "./load-inputs.js";

/** Default config file name, looked up in the working directory. */
export const DEFAULT_CONFIG_FILE = "tickscope.config.json";

/** Schema of `tickscope.config.json`; command-line options override it. */
export const TickscopeConfigSchema = Type.Object(
  {
    protocol: Type.Optional(Type.String({ description: "protocol definition path" })),
    keys: Type.Optional(Type.String({ description: "key file path" })),
    serverPorts: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }))),
    only: Type.Optional(Type.Array(Type.Union(ANALYSIS_NAMES.map((name) => Type.Literal(name))))),
    failOn: Type.Optional(Type.Union(SEVERITIES.map((severity) => Type.Literal(severity)))),
    formats: Type.Optional(Type.Array(Type.String())),
    out: Type.Optional(Type.String()),
    regions: Type.Optional(Type.Record(Type.String(), Type.String({ description: "capture path of the region" }))),
    analyses: Type.Optional(
      Type.Object(
        Object.fromEntries(ANALYSIS_NAMES.map((name) => [name, Type.Optional(Type.Record(Type.String(), Type.Unknown()))])),
        { additionalProperties: false, description: "options passed to each analysis (thresholds...)" },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Contents of `tickscope.config.json`. */
export type TickscopeConfig = Static<typeof TickscopeConfigSchema>;

/** Reads and validates a config file; without an explicit path, uses `tickscope.config.json` when present. */
export async function loadConfig(path: string | undefined): Promise<TickscopeConfig> {
  const file = path ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (file === undefined) return {};
  const text = await readTextFile(file, "config file");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TickscopeError(ErrorCode.invalidOption, `config file '${file}' is not JSON: ${(error as Error).message}`, { hint: "fix the JSON syntax" });
  }
  const firstError = Value.Errors(TickscopeConfigSchema, value).First();
  if (firstError !== undefined) {
    throw new TickscopeError(ErrorCode.invalidOption, `config file '${file}' ${firstError.path || "/"}: ${firstError.message}`, {
      hint: "see `tickscope analyze --help` for the keys",
    });
  }
  return value as TickscopeConfig;
}
