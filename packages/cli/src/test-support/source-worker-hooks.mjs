// Loaded with `--import` by a worker thread started from the TypeScript sources (vitest, tsx):
// TypeScript through tsx, and @tickscope/* resolved to the packages' src/ as vitest's aliases do.
import { register } from "node:module";
import { register as registerTypeScript } from "tsx/esm/api";

registerTypeScript();
register("./source-alias-hooks.mjs", import.meta.url);
