import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = dirname(fileURLToPath(import.meta.url));

/**
 * Resolves `@tickscope/<package>` and `@tickscope/<package>/<subpath>` to the
 * TypeScript sources, so tests run against `src/` without a build and coverage
 * maps to the source files.
 */
export const workspaceAliases = [
  { find: /^@tickscope-test\/support$/, replacement: join(root, "test-support/index.ts") },
  { find: /^@tickscope\/([a-z-]+)\/([a-z-]+)$/, replacement: join(root, "packages/$1/src/$2/index.ts") },
  { find: /^@tickscope\/([a-z-]+)$/, replacement: join(root, "packages/$1/src/index.ts") },
];

/** Absolute path of the shared folder with public captures (may be absent). */
export const sharedDirectory = join(root, "..", "shared");
