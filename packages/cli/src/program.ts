import { Command } from "commander";
import { registerInspectCommand } from "./commands/inspect.js";
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
    .showHelpAfterError()
    .exitOverride();
  registerInspectCommand(program);
  return program;
}
