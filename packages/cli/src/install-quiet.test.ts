import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/** The root manifest's pnpm settings (the monorepo's package.json). */
function rootPnpmSettings(): { onlyBuiltDependencies?: string[]; ignoredBuiltDependencies?: string[] } {
  const manifest = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { pnpm?: Record<string, string[]> };
  return manifest.pnpm ?? {};
}

describe("pnpm install of a fresh clone", () => {
  // pnpm 10 prints an "Ignored build scripts: esbuild" box for every dependency with a build script
  // that is neither allowed nor ignored. esbuild works without its postinstall (its binary comes
  // from an optional dependency), so it is ignored on purpose; verified with
  // `npx -y pnpm@10.34.8 install --frozen-lockfile` (no box, the lockfile unchanged).
  it("decides on esbuild's build script, so the install prints no approve-builds box", () => {
    const settings = rootPnpmSettings();
    const decided = [...(settings.onlyBuiltDependencies ?? []), ...(settings.ignoredBuiltDependencies ?? [])];
    expect(decided).toContain("esbuild");
  });
});
