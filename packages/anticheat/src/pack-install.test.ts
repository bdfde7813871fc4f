import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const packageDirectory = fileURLToPath(new URL("..", import.meta.url));
const coreDirectory = resolve(packageDirectory, "../core");
const PNPM = ["-y", "pnpm@10.34.8"];
const built = existsSync(join(packageDirectory, "dist/index.js")) && existsSync(join(coreDirectory, "dist/index.js"));
const workDirectory = mkdtempSync(join(tmpdir(), "tickscope-pack-"));

afterAll(() => rmSync(workDirectory, { recursive: true, force: true }));

/** Runs a command; resolves with its output or rejects with stdout+stderr in the message. */
async function command(file: string, args: string[], cwd: string, timeoutMs = 240_000): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: "false" } });
    return stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(" ")} failed: ${failed.message}\n${failed.stdout ?? ""}\n${failed.stderr ?? ""}`);
  }
}

/** The manifest inside a packed tarball. */
async function packedManifest(tarball: string): Promise<{ version: string; dependencies?: Record<string, string> }> {
  return JSON.parse(await command("tar", ["-xzf", tarball, "-O", "package/package.json"], workDirectory));
}

/** The first ```js block after `heading` in the README. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(join(packageDirectory, "README.md"), "utf8");
  const at = readme.indexOf(heading);
  expect(at, `README has "${heading}"`).toBeGreaterThanOrEqual(0);
  const start = readme.indexOf("```js\n", at) + "```js\n".length;
  return readme.slice(start, readme.indexOf("```", start));
}

/** Every source a source map or declaration map names exists (relative to the map). */
function missingMapSources(directory: string): string[] {
  const missing: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".map")) {
        const map = JSON.parse(readFileSync(path, "utf8")) as { sources: string[]; sourceRoot?: string };
        for (const source of map.sources) if (!existsSync(resolve(dirname(path), map.sourceRoot ?? "", source))) missing.push(`${path} → ${source}`);
      }
    }
  };
  walk(directory);
  return missing;
}

// Issue 17 item 9: a team installs @tickscope/anticheat alone, from packed tarballs (pnpm pack,
// as `changeset publish` would publish), into an empty project, and runs the README example with
// plain node. Needs a build (`pnpm test` builds first) and npx/npm; installs only the registry
// dependencies (simple-statistics, typebox, noble ciphers) with --prefer-offline.
describe("@tickscope/anticheat installed alone from packed tarballs", () => {
  it.skipIf(!built)(`packs core + anticheat, installs them into an empty project and runs the README example${built ? "" : " (skipped: run `pnpm build` first — dist/ is missing)"}`, async (context) => {
    const packs = join(workDirectory, "packs");
    let coreTarball: string;
    let anticheatTarball: string;
    try {
      await command("npx", [...PNPM, "pack", "--pack-destination", packs], coreDirectory);
      await command("npx", [...PNPM, "pack", "--pack-destination", packs], packageDirectory);
      const tarballs = readdirSync(packs);
      coreTarball = join(packs, tarballs.find((name) => name.startsWith("tickscope-core-"))!);
      anticheatTarball = join(packs, tarballs.find((name) => name.startsWith("tickscope-anticheat-"))!);
    } catch (error) {
      context.skip(`packing is impossible here (pnpm via npx unavailable?): ${(error as Error).message.split("\n")[0]}`);
      return;
    }
    // pnpm pack rewrites workspace:^ to the version range a registry install understands.
    const core = await packedManifest(coreTarball);
    const anticheat = await packedManifest(anticheatTarball);
    expect(JSON.stringify(anticheat)).not.toContain("workspace:");
    expect(anticheat.dependencies?.["@tickscope/core"]).toBe(`^${core.version}`);

    const project = join(workDirectory, "project");
    await command("mkdir", ["-p", project], workDirectory);
    writeFileSync(join(project, "package.json"), `${JSON.stringify({ name: "team-project", private: true, type: "module" }, null, 2)}\n`);
    try {
      await command("npm", ["install", coreTarball, anticheatTarball, "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], project);
    } catch (error) {
      const message = (error as Error).message;
      if (/ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ENETUNREACH/.test(message)) {
        context.skip(`npm registry unreachable for the registry dependencies: ${message.split("\n")[0]}`);
        return;
      }
      throw error;
    }
    const installed = join(project, "node_modules/@tickscope");
    expect(readdirSync(installed).sort()).toEqual(["anticheat", "core"]);

    // The README's plain-node example is the shipped examples/own-messages.mjs, and runs as is.
    const example = readmeBlock("## Example: your own messages, plain Node");
    expect(example).toBe(readFileSync(join(packageDirectory, "examples/own-messages.mjs"), "utf8"));
    writeFileSync(join(project, "own-messages.mjs"), example);
    const output = await command(process.execPath, ["own-messages.mjs"], project, 60_000);
    expect(output).toContain("player a: clean (score 0)");
    expect(output).toMatch(/player b: cheating \(score 0\.9\d*\) speedhack/);
    expect(output).toMatch(/^speedhack: Client clock ran at 1\.3× real time .* Wireshark frames \d+/m);
    expect(await command(process.execPath, ["node_modules/@tickscope/anticheat/examples/own-messages.mjs"], project, 60_000)).toBe(output);

    // Source maps and declaration maps point to sources that ship; no test files ship.
    expect(missingMapSources(join(installed, "core/dist"))).toEqual([]);
    expect(missingMapSources(join(installed, "anticheat/dist"))).toEqual([]);
    expect(existsSync(join(installed, "anticheat/src/anticheat-analyzer.ts"))).toBe(true);
    expect(existsSync(join(installed, "anticheat/src/detectors.test.ts"))).toBe(false);
    expect(existsSync(join(installed, "core/src/protocol/test-support"))).toBe(false);
  }, 600_000);

  it.skipIf(!built)("npm pack would leave workspace:^ in the manifest (why the README says pnpm pack)", async (context) => {
    const destination = join(workDirectory, "npm-pack");
    await command("mkdir", ["-p", destination], workDirectory);
    try {
      await command("npm", ["pack", "--pack-destination", destination, "--ignore-scripts"], packageDirectory);
    } catch (error) {
      context.skip(`npm pack unavailable: ${(error as Error).message.split("\n")[0]}`);
      return;
    }
    const manifest = await packedManifest(join(destination, readdirSync(destination)[0]!));
    expect(manifest.dependencies?.["@tickscope/core"]).toBe("workspace:^");
  }, 120_000);
});
