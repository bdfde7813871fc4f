import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ErrorCode, TickscopeError } from "@tickscope/core";

/** The charting library inlined into the HTML report: uPlot's browser build, its stylesheet and its MIT licence. */
export interface HtmlChartLibrary {
  /** uPlot version (from its package.json). */
  version: string;
  /** The IIFE build (defines the global `uPlot`). */
  script: string;
  /** uPlot's stylesheet. */
  css: string;
  /** uPlot's licence text (MIT: the notice travels with every copy). */
  license: string;
}

let cached: HtmlChartLibrary | undefined;

/**
 * Reads uPlot from node_modules (once per process): the report inlines it so the
 * file needs no network. `E_IO` when the package is missing or its build
 * contains a `</script` sequence that would end the inline script early.
 */
export function loadHtmlChartLibrary(): HtmlChartLibrary {
  if (cached !== undefined) return cached;
  try {
    const require = createRequire(import.meta.url);
    const packageDirectory = dirname(require.resolve("uplot/package.json"));
    const manifest = JSON.parse(readFileSync(join(packageDirectory, "package.json"), "utf8")) as { version: string };
    const library: HtmlChartLibrary = {
      version: manifest.version,
      script: readFileSync(join(packageDirectory, "dist", "uPlot.iife.min.js"), "utf8"),
      css: readFileSync(join(packageDirectory, "dist", "uPlot.min.css"), "utf8"),
      license: readFileSync(join(packageDirectory, "LICENSE"), "utf8"),
    };
    if (/<\/script|<!--/i.test(library.script) || /<\/style/i.test(library.css)) throw new Error("its build contains an HTML end tag");
    cached = library;
    return library;
  } catch (error) {
    throw new TickscopeError(ErrorCode.io, `cannot inline the uPlot charting library: ${(error as Error).message}`, { hint: "reinstall @tickscope/cli (it depends on uplot)" });
  }
}
