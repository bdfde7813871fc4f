/** Exit codes of the `tickscope` command. */
export const ExitCode = {
  /** Success. */
  ok: 0,
  /** Findings at or above `--fail-on`. */
  findings: 1,
  /** Usage error (bad option, unknown command). */
  usage: 2,
  /** Unreadable input (missing file, corrupt capture, invalid definition). */
  unreadableInput: 3,
} as const;
