import { defineProject } from "vitest/config";
import { workspaceAliases } from "../../vitest.shared.ts";

export default defineProject({
  resolve: { alias: workspaceAliases },
  // SOURCE_DATE_EPOCH=0: reports made by tests (and the CLIs they spawn) carry a fixed generatedAt.
  test: { name: "cli", include: ["src/**/*.test.ts"], testTimeout: 60_000, env: { SOURCE_DATE_EPOCH: "0" } },
});
