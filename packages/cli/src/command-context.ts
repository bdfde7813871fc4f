import type { Command } from "commander";
import type { CliStreams } from "./run-cli.js";

/** The writers `runCli` attached to the root program. */
export function streamsOf(command: Command): CliStreams {
  let root: Command = command;
  while (root.parent) root = root.parent;
  return root.getOptionValue("streams") as CliStreams;
}

/** Records the exit code a command wants (`runCli` returns it). */
export function setExitCode(command: Command, code: number): void {
  let root: Command = command;
  while (root.parent) root = root.parent;
  root.setOptionValue("exitCode", code);
}
