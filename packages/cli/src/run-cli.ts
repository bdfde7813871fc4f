import { CommanderError, type Command } from "commander";
import { TickscopeError } from "@tickscope/core";
import { createProgram } from "./program.js";

import { ExitCode } from "./exit-code.js";

export { ExitCode };

/** Where the CLI writes. Tests pass in-memory writers. */
export interface CliStreams {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

/**
 * Runs the command line with `args` (without `node` and the script path) and
 * returns the exit code. Errors become one clear line plus a hint, never a stack
 * trace (unless `--verbose`).
 */
export async function runCli(args: readonly string[], streams: CliStreams): Promise<number> {
  const program = createProgram();
  const output = {
    writeOut: (text: string) => void streams.stdout.write(text),
    writeErr: (text: string) => void streams.stderr.write(text),
  };
  const configure = (command: Command): void => {
    command.configureOutput(output);
    for (const child of command.commands) configure(child);
  };
  configure(program);
  program.setOptionValue("streams", streams);
  const verbose = args.includes("--verbose");
  try {
    await program.parseAsync([...args], { from: "user" });
    const code = program.getOptionValue("exitCode") as number | undefined;
    return code ?? ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return ExitCode.ok;
      if (error.code === "commander.help") return ExitCode.ok;
      return ExitCode.usage;
    }
    if (TickscopeError.isInstance(error)) {
      streams.stderr.write(`tickscope: ${error.code}: ${error.message}\n`);
      if (error.hint) streams.stderr.write(`hint: ${error.hint}\n`);
      if (verbose && error.stack) streams.stderr.write(`${error.stack}\n`);
      return error.code === "E_INVALID_OPTION" ? ExitCode.usage : ExitCode.unreadableInput;
    }
    streams.stderr.write(`tickscope: internal error: ${(error as Error)?.message ?? String(error)}\n`);
    streams.stderr.write("hint: rerun with --verbose and report this as a bug\n");
    if (verbose && (error as Error)?.stack) streams.stderr.write(`${(error as Error).stack}\n`);
    return ExitCode.unreadableInput;
  }
}
