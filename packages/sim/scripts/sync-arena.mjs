// Regenerates src/arena-definition.ts from examples/protocols/arena.json (run after arena.json changes):
//   node packages/sim/scripts/sync-arena.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = fileURLToPath(new URL("../../../examples/protocols/arena.json", import.meta.url));
const target = fileURLToPath(new URL("../src/arena-definition.ts", import.meta.url));
const definition = JSON.parse(readFileSync(source, "utf8"));
writeFileSync(
  target,
  `/**
 * The arena protocol definition, a verbatim copy of \`examples/protocols/arena.json\`
 * (a test checks that the two stay identical), embedded so the published
 * package needs no file access.
 */
export const ARENA_DEFINITION: Readonly<Record<string, unknown>> = ${JSON.stringify(definition, null, 2)};
`,
);
console.log(`wrote ${target}`);
