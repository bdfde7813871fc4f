import { runCli } from "../run-cli.js";
// The binary loads a subcommand when it runs; tests load every command module up front (at
// collection), so that a test's time limit measures the command, not the first module load.
import "../program.js";
import "../formats/index.js";

/** Result of running the CLI in memory. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tickscope` with `args`, capturing stdout and stderr. */
export async function runInMemory(args: readonly string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
  });
  return { code, stdout, stderr };
}
