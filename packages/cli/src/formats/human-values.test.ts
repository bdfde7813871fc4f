import { describe, expect, it } from "vitest";
import { parse as parseCsv } from "csv-parse/sync";
import type { Recommendation } from "@tickscope/core";
import type { AnalyzeResult } from "../analyze-result.js";
import { bestMeasuredFixes } from "../analyses/loss.js";
import { messageToNdjson, messageToText } from "../commands/decode.js";
import { sampleAnalyzeResult } from "../test-support/sample-result.js";
import { formatCaptureTime, formatNumber, formatOffsetSeconds, formatPlayerReference, knownPlayer } from "./human-values.js";
import { REPORT_FORMATS } from "./index.js";
import { evidenceFrames } from "./markdown-format.js";
import { reportForMachines } from "./machine-values.js";

const START_US = 1_767_225_600_000_000;
const SESSION = "udp:100.64.0.13:40012-203.0.113.11:7777";

/** The sample result with a fractional-µs spike table, findings with evidence, per-session recommendations and anticheat players. */
function resultWithTimes(): AnalyzeResult {
  const result = sampleAnalyzeResult();
  result.captures[0]!.firstUs = START_US;
  result.captures[0]!.lastUs = START_US + 60_034_887.8;
  result.sessions[0]!.firstUs = START_US;
  result.sessions[0]!.lastUs = START_US + 59_988_241.5;
  const latency = result.sections[0]!;
  latency.findings[0]!.startUs = START_US + 11_409_917.8;
  latency.findings[0]!.endUs = START_US + 11_477_714.2;
  latency.tables.push({
    name: "latency-spikes",
    timeColumns: ["startUs"],
    rows: [{ session: SESSION, startUs: START_US + 11_409_917.8, durationMs: 67.796, peakMs: 132.44 }],
  });
  latency.report = { spikes: [{ startUs: START_US + 11_409_917.8, endUs: START_US + 11_477_714.2, durationMs: 67.796 }] };
  const recommendation = (session: string, before: number, after: number): Recommendation => ({
    id: `loss.inputRedundancy.${session}`, analysis: "loss", kind: "inputRedundancy", title: `Send more inputs (${session})`, metric: "residualInputLossRate",
    before, after, verified: true, method: "replayed the loss trace", cost: {}, session,
  });
  result.sections.push({
    analysis: "loss",
    question: "Which game data is lost?",
    answer: [],
    findings: [],
    recommendations: [recommendation("mild", 0.00222, 0.00056), recommendation("worst", 0.02837, 0.00056)],
    metrics: [],
    tables: [],
    series: [],
    report: {},
  });
  result.sections.push({
    analysis: "anticheat",
    question: "Which clients manipulate timing or packets?",
    answer: [],
    findings: [
      { id: "anticheat.speedhack.1", analysis: "anticheat", kind: "speedhack", severity: "high", startUs: START_US + 992_526.8, endUs: START_US + 59_994_104, session: "s5", player: "5", summary: "clock 1.3x", evidence: { values: {}, packetIndices: [0, 41, 99] } },
      { id: "anticheat.movement.2", analysis: "anticheat", kind: "movement", severity: "medium", startUs: START_US + 32_171_841, endUs: START_US + 32_171_841, session: SESSION, player: SESSION, summary: "1 teleport", evidence: { values: {}, packetIndices: [7] } },
    ],
    recommendations: [],
    metrics: [],
    tables: [{ name: "anticheat-players", rows: [{ player: "5", session: "s5" }, { player: null, session: SESSION }] }],
    series: [],
    report: { findings: [{ startUs: START_US + 992_526.8, evidence: { packetIndices: [0, 41] } }] },
  });
  return result;
}

async function render(format: string, result: AnalyzeResult): Promise<Map<string, string>> {
  return new Map((await REPORT_FORMATS[format]!.render(result)).map((file) => [file.fileName, file.text]));
}

function allMicrosecondValues(value: unknown, found: [string, number][] = [], key = ""): [string, number][] {
  if (typeof value === "number" && key.endsWith("Us")) found.push([key, value]);
  else if (Array.isArray(value)) for (const item of value) allMicrosecondValues(item, found, key);
  else if (value !== null && typeof value === "object") for (const [name, item] of Object.entries(value)) allMicrosecondValues(item, found, name);
  return found;
}

describe("one number formatter: significant digits, not fixed decimals (issue 17 item 5)", () => {
  it("keeps four significant digits and every integer digit", () => {
    expect(formatNumber(0.00222)).toBe("0.00222");
    expect(formatNumber(0.002222222)).toBe("0.002222");
    // Fixed 3 decimals made both of these 0.001 / 0.002: a fix from 0.00222 to 0.00056 read as a halving.
    expect(formatNumber(0.00056)).toBe("0.00056");
    expect(formatNumber(552.454)).toBe("552.5");
    expect(formatNumber(1150.463)).toBe("1150");
    expect(formatNumber(59806.491)).toBe("59806");
    expect(formatNumber(1.23456)).toBe("1.235");
    expect(formatNumber(-0.5)).toBe("-0.5");
    expect(formatNumber(0.0000001234)).toBe("0.0000001234");
    expect(formatNumber(9.99996)).toBe("10");
    expect(formatNumber(42)).toBe("42");
    expect(formatNumber(-0)).toBe("0");
    expect(formatNumber(Number.NaN)).toBe("NaN");
  });
});

describe("one time format in human outputs, integers in machine outputs (issue 17 item 4)", () => {
  it("prints ISO 8601 + offset from the capture start", () => {
    expect(formatCaptureTime(1_767_225_611_409_917.8, START_US)).toBe("2026-01-01T00:00:11.410Z (+11.41 s)");
    expect(formatCaptureTime(START_US, START_US)).toBe("2026-01-01T00:00:00.000Z (+0 s)");
    expect(formatCaptureTime(START_US)).toBe("2026-01-01T00:00:00.000Z");
    expect(formatOffsetSeconds(-1_500_000)).toBe("-1.5 s");
    expect(formatCaptureTime(Number.NaN, START_US)).toBe("NaN µs");
  });

  it("decode: text lines in the human time format with the frame number, NDJSON in whole µs", () => {
    const message = { sessionId: "s", direction: "clientToServer" as const, tUs: START_US + 11_409_917.8, packetIndex: 41, indexInPacket: 0, type: "input", byteLength: 9, packetWireLength: 51, fields: { x: 1 }, roles: {} };
    expect(messageToText(message, START_US)).toBe('2026-01-01T00:00:11.410Z (+11.41 s) frame 42 s c→s input {"x":1}');
    expect(JSON.parse(messageToNdjson(message))).toMatchObject({ tUs: 1_767_225_611_409_918, frameNumber: 42, packetIndex: 41 });
  });

  it("markdown: findings and time columns as ISO + offset, no raw µs; recommendations name their session", async () => {
    const markdown = (await render("md", resultWithTimes())).get("report.md")!;
    expect(markdown).toContain("Times are UTC, (+s) from the first packet at 2026-01-01T00:00:00.000Z.");
    expect(markdown).toContain("| 2026-01-01T00:00:11.410Z (+11.41 s) |");
    expect(markdown).toMatch(/\| session \| start \| durationMs \| peakMs \|\n.*\n\| udp:100\.64\.0\.13:40012-203\.0\.113\.11:7777 \| 2026-01-01T00:00:11\.410Z \(\+11\.41 s\) \| 67\.8 \| 132\.4 \|/);
    expect(markdown).not.toMatch(/17672256\d{8}/);
    expect(markdown).toContain("| session | change | metric | before | after | measured | how |");
    expect(markdown).toContain("| mild | Send more inputs (mild) | residualInputLossRate | 0.00222 | 0.00056 | yes |");
    expect(markdown).toContain("| (all) | Delta-encode snapshots |");
  });

  it("CSV: capture times as integer µs with the ISO form beside", async () => {
    const files = await render("csv", resultWithTimes());
    const spikes = parseCsv(files.get("latency-spikes.csv")!, { columns: true }) as Record<string, string>[];
    expect(spikes[0]).toMatchObject({ startUs: "1767225611409918", start: "2026-01-01T00:00:11.409918Z" });
    const findings = parseCsv(files.get("findings.csv")!, { columns: true }) as Record<string, string>[];
    for (const finding of findings) expect(finding.startUs).toMatch(/^\d+$/);
    const sessions = parseCsv(files.get("sessions.csv")!, { columns: true }) as Record<string, string>[];
    expect(sessions[0]).toMatchObject({ firstUs: String(START_US), first: "2026-01-01T00:00:00.000000Z", lastUs: "1767225659988242", last: "2026-01-01T00:00:59.988242Z" });
  });

  it("JSON and NDJSON: every …Us value a whole µs, every packet reference also a Wireshark frame number", async () => {
    const document = JSON.parse((await render("json", resultWithTimes())).get("report.json")!);
    const values = allMicrosecondValues(document);
    expect(values.length).toBeGreaterThan(8);
    for (const [key, value] of values) expect(Number.isInteger(value), `${key} ${value}`).toBe(true);
    expect(document.report.analyses.latency.spikes[0].startUs).toBe(1_767_225_611_409_918);
    const speedhack = document.report.findings.find((finding: { kind: string }) => finding.kind === "speedhack");
    expect(speedhack.evidence).toMatchObject({ packetIndices: [0, 41, 99], frameNumbers: [1, 42, 100] });
    expect(document.report.analyses.anticheat.findings[0].evidence.frameNumbers).toEqual([1, 42]);
    const events = (await render("ndjson", resultWithTimes())).get("events.ndjson")!.trimEnd().split("\n").map((line) => JSON.parse(line));
    const findings = events.filter((event) => event.event === "finding");
    expect(findings.map((finding) => finding.startUs)).toEqual([1_767_225_611_409_918, 1_767_225_600_992_527, 1_767_225_632_171_841]);
    expect(findings.map((finding) => finding.evidence.frameNumbers)).toEqual([[31, 32], [1, 42, 100], [8]]);
  });

  it("reportForMachines copies, rounds only …Us keys and names frames beside packet indices", () => {
    const input = { tUs: 1.5, rttMs: 1.5, packetIndex: 4, nested: [{ endUs: 2.4999, bytes: new Uint8Array([1]) }], gapPacketIndices: [0, 9], firstDuplicatePacketIndex: 17911, lastPacketIndex: -1 };
    const output = reportForMachines(input);
    expect(output).toEqual({
      tUs: 2, rttMs: 1.5, packetIndex: 4, frameNumber: 5, nested: [{ endUs: 2, bytes: new Uint8Array([1]) }],
      gapPacketIndices: [0, 9], gapFrameNumbers: [1, 10], firstDuplicatePacketIndex: 17911, firstDuplicateFrameNumber: 17912, lastPacketIndex: -1,
    });
    expect(input.tUs).toBe(1.5);
  });
});

describe("numbers that read right (issue 17 item 5)", () => {
  it("the loss answer quotes the most affected session's fix, not the first in id order", () => {
    const recommendations = resultWithTimes().sections[2]!.recommendations;
    expect(bestMeasuredFixes(recommendations).map((recommendation) => recommendation.session)).toEqual(["worst"]);
  });

  it("one player reference: a player column holds player ids only, prose says player and session the same way", async () => {
    expect(knownPlayer(SESSION, SESSION)).toBeUndefined();
    expect(knownPlayer("5", "s5")).toBe("5");
    expect(formatPlayerReference("5", "s5")).toBe("player 5 (s5)");
    expect(formatPlayerReference(SESSION, SESSION)).toBe(`${SESSION} (no player id)`);
    expect(formatPlayerReference("7", undefined)).toBe("player 7");
    const markdown = (await render("md", resultWithTimes())).get("report.md")!;
    expect(markdown).toContain(`| medium | movement | 2026-01-01T00:00:32.172Z (+32.172 s) | 0 |  | ${SESSION} | 1 teleport | 8 |`);
    expect(markdown).toContain("| high | speedhack | 2026-01-01T00:00:00.993Z (+0.993 s) | 59002 | 5 | s5 | clock 1.3x | 1, 42, 100 |");
    expect(evidenceFrames([0, 41, 99, 120])).toBe("1, 42, 100 … (4)");
    const findings = parseCsv((await render("csv", resultWithTimes())).get("findings.csv")!, { columns: true }) as Record<string, string>[];
    expect(findings.find((finding) => finding.kind === "movement")).toMatchObject({ player: "", session: SESSION });
  });
});
