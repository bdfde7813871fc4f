import { CommanderError, type Command } from "commander";
import type { TickscopeError } from "@tickscope/core";
import { ExitCode } from "./exit-code.js";
import { createProgramFor } from "./lazy-program.js";
import { escapeTerminalText } from "./terminal-text.js";

/** Core's error module, loaded when an error is reported (startup loads no package). */
type CoreErrors = Pick<typeof import("@tickscope/core"), "ErrorCode" | "TickscopeError">;

export { ExitCode };

/** Where the CLI writes. Tests pass in-memory writers. */
export interface CliStreams {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

/** Full name of a command, e.g. `tickscope protocol check`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current !== null; current = current.parent) names.unshift(current.name());
  return names.join(" ");
}

/** A file-system error from Node (`ENOENT`, `EISDIR`, `ENAMETOOLONG`...) that escaped a writer. */
function asFileSystemError(error: unknown, { ErrorCode, TickscopeError }: CoreErrors): TickscopeError | undefined {
  const candidate = error as NodeJS.ErrnoException | undefined;
  if (typeof candidate !== "object" || candidate === null || typeof candidate.code !== "string" || typeof candidate.syscall !== "string") return undefined;
  const path = typeof candidate.path === "string" ? ` '${candidate.path}'` : "";
  return new TickscopeError(ErrorCode.io, `cannot ${candidate.syscall}${path}: ${candidate.code}`, { hint: "check the path and permissions", cause: error });
}

/** Writes a tickscope error as one escaped line plus an optional hint; returns its exit code. */
function reportError(error: TickscopeError, streams: CliStreams, verbose: boolean): number {
  const usageCodes: readonly string[] = ["E_INVALID_OPTION", "E_USAGE"];
  streams.stderr.write(`tickscope: ${error.code}: ${escapeTerminalText(error.message)}\n`);
  if (error.hint) streams.stderr.write(`hint: ${escapeTerminalText(error.hint)}\n`);
  if (verbose && error.stack) streams.stderr.write(`${error.stack}\n`);
  return usageCodes.includes(error.code) ? ExitCode.usage : ExitCode.unreadableInput;
}

/**
 * Runs the command line with `args` (without `node` and the script path) and
 * returns the exit code. Every error becomes one line `tickscope: <CODE>:
 * <message>` (user text escaped) plus a hint, never a stack trace (unless
 * `--verbose`): usage errors are `E_USAGE` with exit code 2.
 */
export async function runCli(args: readonly string[], streams: CliStreams): Promise<number> {
  const program = await createProgramFor(args);
  let failedCommand: Command = program;
  const configure = (command: Command): void => {
    command.configureOutput({
      writeOut: (text: string) => void streams.stdout.write(text),
      writeErr: (text: string) => void streams.stderr.write(text),
      // usage errors are reported by runCli as one line with a code; remember where they happened
      outputError: () => {
        failedCommand = command;
      },
    });
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
    if (error instanceof CommanderError && ["commander.helpDisplayed", "commander.version", "commander.help"].includes(error.code)) return ExitCode.ok;
    const core: CoreErrors = await import("@tickscope/core");
    const { ErrorCode, TickscopeError } = core;
    if (error instanceof CommanderError) {
      const message = error.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " ");
      return reportError(new TickscopeError(ErrorCode.usage, message, { hint: `see \`${commandPath(failedCommand)} --help\`` }), streams, false);
    }
    if (TickscopeError.isInstance(error)) return reportError(error, streams, verbose);
    const fileSystemError = asFileSystemError(error, core);
    if (fileSystemError !== undefined) return reportError(fileSystemError, streams, verbose);
    streams.stderr.write(`tickscope: internal error: ${escapeTerminalText((error as Error)?.message ?? String(error))}\n`);
    streams.stderr.write("hint: rerun with --verbose and report this as a bug\n");
    if (verbose && (error as Error)?.stack) streams.stderr.write(`${(error as Error).stack}\n`);
    return ExitCode.unreadableInput;
  }
}
