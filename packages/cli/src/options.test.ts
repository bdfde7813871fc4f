import { describe, expect, it } from "vitest";
import { hasErrorCode } from "@tickscope/core";
import {
  parseAnalysisList,
  parseDurationSeconds,
  parseFormatList,
  parseNamedValue,
  parsePortOption,
  parsePositiveIntegerOption,
  parseSeverity,
  parseThreadSplit,
} from "./options.js";

function expectInvalid(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(hasErrorCode(error, "E_INVALID_OPTION")).toBe(true);
    return;
  }
  throw new Error("expected E_INVALID_OPTION");
}

describe("option parsers", () => {
  it("parses --thread-split: auto, none, or an analysis and the main thread's share", () => {
    expect(parseThreadSplit("auto")).toBeUndefined();
    expect(parseThreadSplit("none")).toBe(false);
    expect(parseThreadSplit("loss=0.3")).toEqual({ analysis: "loss", mainShare: 0.3 });
    expect(parseThreadSplit("anticheat=.75")).toEqual({ analysis: "anticheat", mainShare: 0.75 });
    for (const text of ["", "loss", "loss=0", "loss=1", "loss=1.5", "loss=0.", "nothing=0.5", "loss=-0.2", "loss=0.3x"]) expectInvalid(() => parseThreadSplit(text));
  });

  it("parse ports and reject the rest", () => {
    expect(parsePortOption("7777", [25000])).toEqual([25000, 7777]);
    for (const bad of ["0", "65536", "-1", "abc", "1.5"]) expectInvalid(() => parsePortOption(bad));
  });

  it("parse durations with units", () => {
    expect(parseDurationSeconds("30m")).toBe(1800);
    expect(parseDurationSeconds("500ms")).toBe(0.5);
    expect(parseDurationSeconds("12")).toBe(12);
    expect(parseDurationSeconds("1.5h")).toBe(5400);
    for (const bad of ["", "5 minutes", "0s", "-3s"]) expectInvalid(() => parseDurationSeconds(bad));
  });

  it("parse analysis lists in report order", () => {
    expect(parseAnalysisList("loss, latency,loss")).toEqual(["latency", "loss"]);
    expectInvalid(() => parseAnalysisList("latency,telepathy"));
    expectInvalid(() => parseAnalysisList(","));
  });

  it("parse severities, formats, integers and name=value pairs", () => {
    expect(parseSeverity("high")).toBe("high");
    expectInvalid(() => parseSeverity("urgent"));
    expect(parseFormatList("json,md", ["json", "md", "csv"], ["md"])).toEqual(["md", "json"]);
    expectInvalid(() => parseFormatList("pdf", ["json"]));
    expect(parsePositiveIntegerOption("players", "100")).toBe(100);
    expectInvalid(() => parsePositiveIntegerOption("players", "0"));
    expectInvalid(() => parsePositiveIntegerOption("players", "6000", 5000));
    expect(parseNamedValue("region", "eu-west=eu.pcapng")).toEqual({ name: "eu-west", value: "eu.pcapng" });
    expectInvalid(() => parseNamedValue("region", "eu.pcapng"));
    expectInvalid(() => parseNamedValue("region", "eu="));
  });
});
