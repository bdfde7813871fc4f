// Module resolve hook: @tickscope/<package>[/<subpath>] and @tickscope-test/support to the
// TypeScript sources (the same mapping as vitest.shared.ts's workspaceAliases).
const root = new URL("../../../../", import.meta.url);

export async function resolve(specifier, context, next) {
  if (specifier === "@tickscope-test/support") return next(new URL("test-support/index.ts", root).href, context);
  const match = /^@tickscope\/([a-z-]+)(?:\/([a-z-]+))?$/.exec(specifier);
  if (match === null) return next(specifier, context);
  const path = match[2] === undefined ? `packages/${match[1]}/src/index.ts` : `packages/${match[1]}/src/${match[2]}/index.ts`;
  return next(new URL(path, root).href, context);
}
