import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderHtml } from "./html-format.js";
import { sampleAnalyzeResult } from "../test-support/sample-result.js";

const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((path) => existsSync(path));

describe("html format in a real browser", () => {
  it.skipIf(chromium === undefined)("loads in headless Chromium (no network) and shows every chart", () => {
    const directory = mkdtempSync(join(tmpdir(), "tickscope-html-"));
    const file = join(directory, "report.html");
    writeFileSync(file, renderHtml(sampleAnalyzeResult()));
    const dom = execFileSync(
      chromium!,
      [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", `--user-data-dir=${join(directory, "profile")}`, "--dump-dom", `file://${file}`,
      ],
      { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "ignore"] },
    );
    expect(dom).toContain("<h1>tickscope report</h1>");
    expect(dom.match(/<figure class="chart line-chart"/g)?.length).toBe(1);
    expect(dom.match(/<figure class="chart bar-chart"/g)?.length).toBe(1);
    expect(dom).toMatch(/<svg[^>]*>.*<polyline/s);
    expect(dom).not.toContain("<script>");
  }, 90_000);
  if (chromium === undefined) it.skip("skipped: Chromium is not installed (apt-get install chromium)", () => {});
});
