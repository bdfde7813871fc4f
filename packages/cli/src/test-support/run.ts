import { runCli } from "../run-cli.js";

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
