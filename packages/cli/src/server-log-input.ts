import type { LogEvent } from "@tickscope/core";
import { readServerLog, type ServerLogMapping } from "@tickscope/capture";
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

/** Reads a server log with a mapping file (JSON `ServerLogMapping`) or the simulator's mapping. */
export async function loadServerLog(path: string, mappingPath: string | undefined): Promise<{ events: LogEvent[]; anomalies: Record<string, number> }> {
  const mapping = mappingPath === undefined ? SIMULATOR_LOG_MAPPING : parseLogMap(await readTextFile(mappingPath, "log mapping"), mappingPath);
  const result = await readServerLog(path, mapping);
  return { events: result.events, anomalies: result.anomalies };
}
