#!/usr/bin/env node
// Creates packages/<name> with the project's package conventions:
//   node scripts/scaffold-package.mjs <name> "<description>"
// package.json (ESM, sideEffects false, exports map, engines), tsconfig, vitest project,
// src/index.ts, README.md and CHANGELOG.md. Refuses to overwrite an existing package.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [name, description] = process.argv.slice(2);
if (!name || !/^[a-z][a-z-]*$/.test(name) || !description) {
  console.error('usage: node scripts/scaffold-package.mjs <name> "<description>"');
  process.exit(2);
}
const directory = join("packages", name);
if (existsSync(join(directory, "package.json"))) {
  console.error(`${directory} already exists`);
  process.exit(2);
}
mkdirSync(join(directory, "src"), { recursive: true });
const write = (file, text) => writeFileSync(join(directory, file), text);
write(
  "package.json",
  JSON.stringify(
    {
      name: `@tickscope/${name}`,
      version: "0.1.0",
      description,
      license: "MIT",
      type: "module",
      sideEffects: false,
      engines: { node: ">=20" },
      exports: {
        ".": { types: "./dist/index.d.ts", import: "./dist/index.js" },
        "./package.json": "./package.json",
      },
      main: "./dist/index.js",
      types: "./dist/index.d.ts",
      files: ["dist", "README.md", "CHANGELOG.md"],
      scripts: {
        build: "tsc -p tsconfig.build.json",
        typecheck: "tsc -p tsconfig.json --noEmit",
        lint: "tsc -p tsconfig.json --noEmit",
        test: "vitest run",
      },
      dependencies: { "@tickscope/core": "workspace:^" },
    },
    null,
    2,
  ) + "\n",
);
write(
  "tsconfig.json",
  JSON.stringify(
    { extends: "../../tsconfig.base.json", compilerOptions: { rootDir: "src", outDir: "dist" }, include: ["src/**/*.ts"] },
    null,
    2,
  ) + "\n",
);
write(
  "tsconfig.build.json",
  JSON.stringify({ extends: "./tsconfig.json", exclude: ["src/**/*.test.ts", "src/**/test-support/**"] }, null, 2) + "\n",
);
write(
  "vitest.config.ts",
  `import { defineProject } from "vitest/config";
import { workspaceAliases } from "../../vitest.shared";

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: { name: "${name}", include: ["src/**/*.test.ts"] },
});
`,
);
write("src/index.ts", "");
write("README.md", `# @tickscope/${name}\n\n${description}\n`);
write("CHANGELOG.md", `# @tickscope/${name}\n`);
console.log(`created ${directory}`);
