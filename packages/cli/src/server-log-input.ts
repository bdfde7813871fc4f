import { ErrorCode, TickscopeError, type LogEvent } from "@tickscope/core";
import { readServerLog, type ServerLogMapping } from "@tickscope/capture";
import { readTextFile } from "./load-inputs.js";

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
  let mapping = SIMULATOR_LOG_MAPPING;
  if (mappingPath !== undefined) {
    try {
      mapping = JSON.parse(await readTextFile(mappingPath, "log mapping")) as ServerLogMapping;
    } catch (error) {
      if (TickscopeError.isInstance(error)) throw error;
      throw new TickscopeError(ErrorCode.invalidOption, `log mapping '${mappingPath}' is not JSON: ${(error as Error).message}`, {
        hint: 'e.g. {"format":"csv","timeField":"time","timeUnit":"ms","typeField":"event","valueFields":["rtt"]}',
      });
    }
  }
  const result = await readServerLog(path, mapping);
  return { events: result.events, anomalies: result.anomalies };
}
