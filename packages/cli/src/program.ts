import type { Command } from "commander";
import { registerAnalysisCommands } from "./commands/analysis-commands.js";
import { registerAnalyzeCommand } from "./commands/analyze.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerDecodeCommand } from "./commands/decode.js";
import { registerInspectCommand } from "./commands/inspect.js";
import { registerMergeCommand } from "./commands/merge.js";
import { registerProtocolCommand } from "./commands/protocol.js";
import { registerSimulateCommand } from "./commands/simulate.js";
import { registerWatchCommand } from "./commands/watch.js";
import { registerSchemaCommand } from "./commands/schema.js";
import { registerFleetCommand } from "./fleet/fleet-command.js";
import { createRootCommand } from "./root-command.js";

/**
 * Builds the whole `tickscope` command, every subcommand loaded. Each
 * subcommand lives in its own file under `commands/` and registers itself
 * here; commands stay thin and call into the packages. (The binary builds a
 * program that loads only the subcommand it runs: `createProgramFor`.)
 */
export function createProgram(): Command {
  const program = createRootCommand();
  registerAnalyzeCommand(program);
  registerMergeCommand(program);
  registerAnalysisCommands(program);
  registerInspectCommand(program);
  registerDecodeCommand(program);
  registerProtocolCommand(program);
  registerSchemaCommand(program);
  registerSimulateCommand(program);
  registerDemoCommand(program);
  registerWatchCommand(program);
  registerFleetCommand(program);
  return program;
}
