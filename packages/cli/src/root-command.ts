import { Command } from "commander";
import { TOOL_VERSION } from "./version.js";

/**
 * The `tickscope` root command without subcommands: name, description,
 * `--version`, `--verbose`. Errors throw (`exitOverride`) so that `runCli`
 * reports them as one line with a code.
 */
export function createRootCommand(): Command {
  return new Command("tickscope")
    .description("Netcode analysis for custom UDP game protocols: latency, loss, bandwidth, anticheat, regions.")
    .version(TOOL_VERSION)
    .option("--verbose", "print stack traces of errors")
    .exitOverride();
}
