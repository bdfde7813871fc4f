import { defineConfig } from "vitest/config";
import { workspaceAliases } from "./vitest.shared.ts";

/**
 * Root test configuration: one run over every package (each package's own
 * `vitest.config.ts` is a project), one coverage report, and per-package line
 * thresholds (90% everywhere, 95% for latency, loss and anticheat).
 */
export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    projects: ["packages/*"],
    coverage: {
      provider: "v8",
      include: ["packages/*/src/**/*.ts"],
      exclude: ["**/*.test.ts", "**/*.d.ts", "**/bin.ts", "**/test-support/**"],
      reporter: ["text-summary", "json-summary"],
      thresholds: {
        "packages/core/src/**": { lines: 90 },
        "packages/capture/src/**": { lines: 90 },
        "packages/cli/src/**": { lines: 90 },
        "packages/sim/src/**": { lines: 90 },
        "packages/bandwidth/src/**": { lines: 90 },
        "packages/regions/src/**": { lines: 90 },
        "packages/infer/src/**": { lines: 90 },
        "packages/latency/src/**": { lines: 95 },
        "packages/loss/src/**": { lines: 95 },
        "packages/anticheat/src/**": { lines: 95 },
      },
    },
  },
});
