import { defineProject } from "vitest/config";
import { workspaceAliases } from "../../vitest.shared.ts";

export default defineProject({
  resolve: { alias: workspaceAliases },
  // Simulation-based tests take seconds; the machine is shared, so allow headroom.
  test: { name: "infer", include: ["src/**/*.test.ts"], testTimeout: 180_000 },
});
