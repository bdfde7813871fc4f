import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const binary = fileURLToPath(new URL("../dist/bundle/bin.js", import.meta.url));
const worker = fileURLToPath(new URL("../dist/bundle/simulate-worker.js", import.meta.url));
const built = existsSync(binary) && existsSync(worker);

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}

describe("tickscope simulate and signals (a real child process)", () => {
  it.skipIf(!built)(
    "SIGTERM during the run removes every incomplete output and ends by the signal",
    async () => {
      const directory = mkdtempSync(join(tmpdir(), "tickscope-signal-"));
      const child = spawn(
        process.execPath,
        [binary, "simulate", "--players", "64", "--duration", "20m", "--quiet", "--out", join(directory, "m.pcapng"), "--truth", join(directory, "t.json"), "--server-log", join(directory, "s.ndjson")],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
      // the simulation has started writing (temporary files exist) before the signal arrives
      expect(await waitFor(() => readdirSync(directory).some((name) => name.endsWith(".tmp")), 20_000)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      child.kill("SIGTERM");
      const { code, signal } = await exited;
      expect(signal === "SIGTERM" || code === 143, `code ${code}, signal ${signal}, stderr ${stderr}`).toBe(true);
      expect(stderr).toContain("interrupted by SIGTERM: removed the incomplete outputs");
      expect(readdirSync(directory)).toEqual([]);
    },
    60_000,
  );

  it.skipIf(!built)(
    "a run that is not interrupted renames complete files into place",
    async () => {
      const directory = mkdtempSync(join(tmpdir(), "tickscope-signal-"));
      const child = spawn(process.execPath, [binary, "simulate", "--players", "2", "--duration", "1s", "--quiet", "--out", join(directory, "m.pcapng"), "--truth", join(directory, "t.json")], {
        stdio: "ignore",
      });
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      expect(code).toBe(0);
      expect(readdirSync(directory).sort()).toEqual(["m.pcapng", "t.json"]);
    },
    60_000,
  );
  if (!built) it.skip("needs the built CLI (pnpm build): packages/cli/dist/bundle/bin.js and simulate-worker.js", () => {});
});
