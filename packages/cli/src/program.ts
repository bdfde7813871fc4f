import { Command } from "commander";
import { registerAnalysisCommands } from "./commands/analysis-commands.js";
import { registerAnalyzeCommand } from "./commands/analyze.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerDecodeCommand } from "./commands/decode.js";
import { registerInspectCommand } from "./commands/inspect.js";
import { registerProtocolCommand } from "./commands/protocol.js";
import { registerSimulateCommand } from "./commands/simulate.js";
import { registerWatchCommand } from "./commands/watch.js";
import { registerSchemaCommand } from "./commands/schema.js";
import { TOOL_VERSION } from "./version.js";

/**
 * Builds the `tickscope` command. Each subcommand lives in its own file under
 * `commands/` and registers itself here; commands stay thin and call into the
 * packages.
 */
export function createProgram(): Command {
  const program = new Command("tickscope")
    .description("Netcode analysis for custom UDP game protocols: latency, loss, bandwidth, anticheat, regions.")
    .version(TOOL_VERSION)
    .option("--verbose", "print stack traces of errors")
    .exitOverride();
  registerAnalyzeCommand(program);
  registerAnalysisCommands(program);
  registerInspectCommand(program);
  registerDecodeCommand(program);
  registerProtocolCommand(program);
  registerSchemaCommand(program);
  registerSimulateCommand(program);
  registerDemoCommand(program);
  registerWatchCommand(program);
  return program;
}
