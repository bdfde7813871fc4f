import { describe, expect, it } from "vitest";
import { escapeHtml, htmlFormat, renderHtml, serializeScriptJson } from "./html-format.js";
import { loadHtmlChartLibrary } from "./html-chart-library.js";
import { HTML_CLIENT_SCRIPT } from "./html-client-script.js";
import { HTML_HEATMAP_MAX_COLUMNS, HTML_MAX_FLAGGED_PLAYERS, HTML_MAX_TIMELINE_SESSIONS, HTML_TIMELINE_MAX_POINTS, breakGaps, buildHtmlViewModel, downsampleMax, sortFindingsForHtml } from "./html-view-model.js";
import { sampleAnalyzeResult } from "../test-support/sample-result.js";
import { HOSTILE_NAME, htmlSampleReport } from "../test-support/html-sample-report.js";

function embeddedModel(html: string): unknown {
  const match = /<script type="application\/json" id="tickscope-data">(.*?)<\/script>/s.exec(html);
  expect(match).not.toBeNull();
  return JSON.parse(match![1]!);
}

describe("html format", () => {
  it("is one self-contained page: uPlot and its licence inlined, no external resource", async () => {
    const [file] = await htmlFormat.render(sampleAnalyzeResult());
    expect(file!.fileName).toBe("report.html");
    const html = file!.text;
    const library = loadHtmlChartLibrary();
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain(library.script);
    expect(html).toContain(library.css);
    expect(html).toContain("Permission is hereby granted, free of charge");
    expect(html).toContain(HTML_CLIENT_SCRIPT);
    expect(library.version).toMatch(/^1\.6\.\d+$/);
    // Nothing is fetched: no src/href to another document, no @import, no url() to a host.
    expect(html).not.toMatch(/\s(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*["']?(https?:)?\/\//i);
    expect(html.match(/<script/g)).toHaveLength(3);
  });

  it("escapes every text from the capture: a hostile name cannot end the data script or add markup", () => {
    const result = htmlSampleReport(12);
    const html = renderHtml(result);
    expect(html).not.toContain(HOSTILE_NAME);
    expect(html).not.toContain("<img");
    expect(html).toContain(escapeHtml(HOSTILE_NAME));
    // Only the three script elements of the page end with </script>.
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    const model = embeddedModel(html) as { sessions: { label: string }[]; lossStreams: { kind: string }[] };
    expect(model.sessions[1]!.label).toBe(`#2 ${HOSTILE_NAME}`);
    expect(model.lossStreams.some((stream) => stream.kind.includes(HOSTILE_NAME))).toBe(true);
    expect(serializeScriptJson({ name: "</script><!--\u2028&" })).toBe('{"name":"\\u003c/script\\u003e\\u003c!--\\u2028\\u0026"}');
    expect(escapeHtml(`<a href="x">'&`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;");
    // The client script parses, and writes data with textContent only.
    expect(() => new Function(HTML_CLIENT_SCRIPT)).not.toThrow();
    expect(HTML_CLIENT_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });

  it("is byte-identical for the same result", () => {
    expect(renderHtml(htmlSampleReport(20))).toBe(renderHtml(htmlSampleReport(20)));
  });

  it("lists findings most severe first, each linking to its evidence in the page", () => {
    const result = htmlSampleReport(16);
    const model = buildHtmlViewModel(result);
    const findings = sortFindingsForHtml(result, model);
    const order = ["critical", "high", "medium", "low", "info"];
    const ranks = findings.map(({ finding }) => order.indexOf(finding.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(findings[0]!.finding.severity).toBe("critical");
    const html = renderHtml(result);
    for (const { evidenceAnchor } of findings) {
      expect(evidenceAnchor).toMatch(/^#(session|player)-\d+$/);
      expect(html).toContain(`id="${evidenceAnchor.slice(1)}"`);
      expect(html).toContain(`href="${evidenceAnchor}"`);
    }
    // anticheat findings point to the player's evidence timeline, the others to the session
    expect(findings.filter(({ finding }) => finding.analysis === "anticheat").every(({ evidenceAnchor }) => evidenceAnchor.startsWith("#player-"))).toBe(true);
    expect(html).toContain("Wireshark frame 19485");
  });

  it("folds the low and info findings of a long list under the serious ones", () => {
    const result = htmlSampleReport(16);
    const latency = result.sections[0]!;
    for (let index = 0; index < 10; index++) {
      latency.findings.push({ ...latency.findings[0]!, id: `latency.spike.info.${index}`, severity: index % 2 === 0 ? "info" : "low", startUs: latency.findings[0]!.startUs + index });
    }
    const html = renderHtml(result);
    const fold = html.indexOf('<details class="minor-findings"><summary>12 low and info finding(s)</summary><ol class="findings" start="8">');
    expect(fold).toBeGreaterThan(0);
    expect(html.lastIndexOf("severity-critical", fold)).toBeGreaterThan(0);
    expect(html.indexOf('severity-low">low', fold)).toBeGreaterThan(fold);
    expect(html.slice(html.indexOf('id="findings"'), fold)).not.toContain('severity-info">info');
    expect(renderHtml(htmlSampleReport(16))).not.toContain("minor-findings\"");
  });

  it("builds the heatmap rows on one time grid, marks spikes and loss gaps, and stacks bandwidth", () => {
    const model = buildHtmlViewModel(htmlSampleReport(8));
    expect(model.heatmap!.columns).toBe(60);
    expect(model.heatmap!.bucketMs).toBe(1000);
    expect(model.heatmap!.cells).toHaveLength(8);
    // shared-path spike at 20 s on every fourth session: a vertical stripe
    expect(model.heatmap!.cells[0]![20]!).toBeGreaterThan(2000);
    expect(model.heatmap!.cells[4]![21]!).toBeGreaterThan(2000);
    expect(model.heatmap!.cells[1]![20]!).toBeLessThan(200);
    expect(model.sessions[0]!.spikes[0]).toMatchObject({ cause: "sharedPath", causeScore: 0.44, peakMs: 2165 });
    expect(model.sessions[0]).toMatchObject({ method: "ack", timelineMethod: "ack" });
    expect(model.sessions.some((session) => session.lossMarks.length > 0)).toBe(true);
    expect(model.bandwidth!.types).toHaveLength(9);
    expect(model.bandwidth!.types[8]!.name).toBe("other (2 types)");
    expect(model.lossStreams[0]!.lossRate).toBeGreaterThanOrEqual(model.lossStreams[1]!.lossRate);
    expect(model.flaggedPlayers.map((player) => player.verdict)).toEqual(["cheating"]);
    expect(model.recommendations.map((recommendation) => recommendation.analysis)).toEqual(["loss", "bandwidth", "bandwidth"]);
  });

  it("leaves sessions without RTT out of the heatmap rows (they keep their index for links)", () => {
    const result = htmlSampleReport(5);
    const latency = result.sections[0]!.report as { sessions: { timeline: unknown[]; rttMs: { samples: number } }[] };
    latency.sessions[1]!.timeline = [];
    latency.sessions[1]!.rttMs.samples = 0;
    const model = buildHtmlViewModel(result);
    expect(model.heatmap!.sessionIndices).toEqual([0, 2, 3, 4]);
    expect(model.heatmap!.cells).toHaveLength(4);
    expect(model.sessions[1]).toMatchObject({ rttP50Ms: null, tUs: [] });
  });

  it("keeps the embedded data bounded for long captures and many players", () => {
    const long = buildHtmlViewModel(htmlSampleReport(3, 3000));
    expect(long.sessions[0]!.tUs.length).toBeLessThanOrEqual(HTML_TIMELINE_MAX_POINTS);
    expect(long.heatmap!.columns).toBeLessThanOrEqual(HTML_HEATMAP_MAX_COLUMNS);
    // The spike's peak survives the merge (max per bucket).
    expect(Math.max(...long.sessions[0]!.maxMs.map((value) => value ?? 0))).toBeGreaterThan(2000);
    expect(long.sessions[0]!.bucketMs).toBe(8000);
    const manyResult = htmlSampleReport(500, 10);
    const many = buildHtmlViewModel(manyResult);
    expect(many.flaggedPlayers.length).toBeLessThanOrEqual(HTML_MAX_FLAGGED_PLAYERS);
    // 500 sessions: the page keeps 200 timelines, the 125 with a spike first
    expect(many.omittedTimelines).toBe(300);
    expect(many.heatmap!.sessionIndices).toHaveLength(HTML_MAX_TIMELINE_SESSIONS);
    expect(many.heatmap!.sessionIndices.filter((index) => many.sessions[index]!.spikes.length > 0)).toHaveLength(125);
    expect(many.sessions.filter((session) => session.timelineOmitted)).toHaveLength(300);
    expect(renderHtml(manyResult)).toContain("200 of 500 sessions with RTT: the most spikes, then the highest p95");
    expect(breakGaps([0, 1, 5, 6], [1, 2, 3, 4], [0, 0, 0, 0], 1)).toEqual({ tUs: [0, 1, 2, 5, 6], maxMs: [1, 2, null, 3, 4], minMs: [0, 0, null, 0, 0] });
    const merged = downsampleMax([0, 1, 2, 3, 4], [[1, 5, 2, 0, 3], [-4, -1, -9, -2, -2]], 1, 3);
    expect(merged).toEqual({ tUs: [0, 2, 4], values: [[5, 2, 3], [-1, -2, -2]], bucketUs: 2 });
  });

  it("flags no notTested player (nothing was judged) among the flagged players", () => {
    const result = htmlSampleReport(8);
    const anticheat = result.sections.find((section) => section.analysis === "anticheat")!.report as { players: { verdict: string }[] };
    for (const player of anticheat.players) if (player.verdict === "clean") player.verdict = "notTested";
    expect(buildHtmlViewModel(result).flaggedPlayers.map((player) => player.verdict)).toEqual(["cheating"]);
  });

  it("says what is missing instead of drawing an empty chart", () => {
    const result = sampleAnalyzeResult();
    const html = renderHtml(result);
    expect(html).toContain("No RTT timeline");
    expect(html).toContain("This report has no per-type time series.");
    const model = buildHtmlViewModel({ ...result, sections: [] });
    expect(model).toMatchObject({ heatmap: null, bandwidth: null, recommendations: [], lossStreams: [], flaggedPlayers: [] });
    expect(renderHtml({ ...result, sections: [] })).toContain("No findings.");
  });
});
