import type { LogEvent } from "@tickscope/core";
import { openServerLog, type ServerLogMapping, type ServerLogStream } from "@tickscope/capture";
import { readTextFile } from "./load-inputs.js";
import { parseLogMap } from "./log-map-file.js";

/**
 * Field mapping of the NDJSON server log that `tickscope simulate --server-log`
 * writes (`{"tUs", "type", "region", "playerId", "reportedRttMs", "frameMs", ...}`);
 * the default of `--server-log` when no `--log-map` is given.
 */
export const SIMULATOR_LOG_MAPPING: ServerLogMapping = {
  format: "ndjson",
  timeField: "tUs",
  timeUnit: "us",
  typeField: "type",
  playerField: "playerId",
  regionField: "region",
  valueFields: ["reportedRttMs", "frameMs", "tick"],
  labelFields: ["client"],
};

/**
 * Opens a server log with a mapping file (JSON `ServerLogMapping`) or the
 * simulator's mapping, as a stream (nothing is kept: `analyze` merges it in
 * time order through a `TimeOrderedLog`); its `summary()` counts bad lines.
 */
export async function loadServerLog(path: string, mappingPath: string | undefined): Promise<ServerLogStream> {
  const mapping = mappingPath === undefined ? SIMULATOR_LOG_MAPPING : parseLogMap(await readTextFile(mappingPath, "log mapping"), mappingPath);
  return openServerLog(path, mapping);
}
