import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const binary = fileURLToPath(new URL("../dist/bundle/bin.js", import.meta.url));

describe("tickscope writing into a pipe that closes early (… | head)", () => {
  it.skipIf(!existsSync(binary))(
    "stops quietly with exit code 0 instead of an unhandled EPIPE",
    async () => {
      const child = spawn(process.execPath, [binary, "protocol", "schema"], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.once("data", () => child.stdout.destroy());
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      expect(stderr).toBe("");
      expect(code).toBe(0);
    },
    30_000,
  );
  if (!existsSync(binary)) it.skip("needs the built CLI (pnpm build): packages/cli/dist/bundle/bin.js", () => {});
});
