import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function has(command: string): boolean {
  try {
    execFileSync("which", [command], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** True when tshark and capinfos are installed. */
export const hasWiresharkTools = has("tshark") && has("capinfos");

/** Reason printed when the Wireshark tools are missing. */
export const wiresharkSkipReason = "skipped: tshark/capinfos not installed (apt-get install -y tshark)";

/** A fresh temporary directory. */
export function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), "tickscope-sim-"));
}

/** Runs a command and returns stdout and stderr (throws on a non-zero exit). */
export function run(command: string, args: string[]): { stdout: string; stderr: string } {
  const result = execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 << 20 });
  return { stdout: result, stderr: "" };
}

/** Runs a command capturing stderr too (via spawnSync). */
export function runWithStderr(command: string, args: string[]): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 256 << 20 });
  return { stdout: result.stdout, stderr: result.stderr.replace(/Running as user "root" and group "root"\. This could be dangerous\.\n?/g, ""), status: result.status };
}
