import { defineProject } from "vitest/config";
import { workspaceAliases } from "../../vitest.shared.ts";

export default defineProject({
  resolve: { alias: workspaceAliases },
  // Statistical tests simulate millions of packets: generous timeouts for a shared, loaded CI machine.
  test: { name: "sim", include: ["src/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 },
});
