import { Option, type Command } from "commander";
import { COMMAND_INDEX } from "./command-index.js";
import { createRootCommand } from "./root-command.js";

/** The subcommand `args` run (`help <name>` counts as `<name>`), if any. */
function chosenCommand(args: readonly string[]): string | undefined {
  const positional = args.filter((arg) => !arg.startsWith("-"));
  return positional[0] === "help" ? positional[1] : positional[0];
}

/**
 * Builds the `tickscope` program for one invocation: the subcommand `args`
 * name is loaded and registered in full; every other subcommand is a stub
 * that only shows its name and description in the top-level help. So
 * `tickscope --help` and `--version` load no analysis package or exporter,
 * and `tickscope protocol check` loads the protocol compiler only.
 */
export async function createProgramFor(args: readonly string[]): Promise<Command> {
  const program = createRootCommand();
  const chosen = chosenCommand(args);
  for (const entry of COMMAND_INDEX) {
    if (entry.name === chosen) {
      (await entry.load())(program);
      continue;
    }
    const stub = program.command(entry.name).description(entry.description);
    if (entry.arguments !== "") stub.arguments(entry.arguments);
    if (entry.hasOptions) stub.addOption(new Option("--stub-option").hideHelp());
  }
  return program;
}
