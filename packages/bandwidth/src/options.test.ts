import { describe, expect, it } from "vitest";
import { hasErrorCode } from "@tickscope/core";
import { parseBandwidth, parseTolerances } from "./options.js";

describe("parseTolerances", () => {
  it("parses name=value pairs from a string or several strings", () => {
    expect(parseTolerances("position=0.01,velocity=0.1")).toEqual(new Map([["position", 0.01], ["velocity", 0.1]]));
    expect(parseTolerances(["cubes[].orientation.w=1e-3", " "])).toEqual(new Map([["cubes[].orientation.w", 0.001]]));
  });
  it("rejects malformed or non-positive tolerances with E_INVALID_OPTION", () => {
    for (const bad of ["position", "position=0", "=1", "position=abc"]) {
      let error: unknown;
      try {
        parseTolerances(bad);
      } catch (caught) {
        error = caught;
      }
      expect(hasErrorCode(error, "E_INVALID_OPTION")).toBe(true);
    }
  });
});

describe("parseBandwidth", () => {
  it("converts units to bits per second", () => {
    expect(parseBandwidth("64kbit")).toBe(64_000);
    expect(parseBandwidth("1.5mbit")).toBe(1_500_000);
    expect(parseBandwidth("8kB")).toBe(64_000);
    expect(parseBandwidth("2000")).toBe(2000);
    expect(parseBandwidth("10 kbit/s")).toBe(10_000);
    expect(parseBandwidth("1gbit")).toBe(1e9);
    expect(parseBandwidth("100byte")).toBe(800);
  });
  it("rejects unknown units and zero", () => {
    expect(() => parseBandwidth("64furlongs")).toThrow(/bad bandwidth/);
    expect(() => parseBandwidth("0kbit")).toThrow(/bad bandwidth/);
    expect(() => parseBandwidth("fast")).toThrow(/bad bandwidth/);
  });
});
