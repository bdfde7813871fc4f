import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasErrorCode } from "@tickscope/core";
import { expandCaptureArguments, groupCaptures, parseGroupPattern } from "./capture-groups.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-fleet-groups-"));
mkdirSync(join(directory, "rotation"));
for (const name of ["match-10.pcapng", "match-9.pcapng", "other.pcap"]) writeFileSync(join(directory, "rotation", name), name);

async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("no error");
}

describe("expandCaptureArguments", () => {
  it("expands quoted globs in numeric name order, resolves relative paths, drops duplicates", async () => {
    const paths = await expandCaptureArguments(["rotation/*.pcapng", "rotation/match-9.pcapng", "rotation/other.pcap"], directory);
    expect(paths).toEqual([join(directory, "rotation/match-9.pcapng"), join(directory, "rotation/match-10.pcapng"), join(directory, "rotation/other.pcap")]);
  });

  it("a glob that matches nothing, a missing file and a directory are E_IO; stdin is E_INVALID_OPTION", async () => {
    expect(hasErrorCode(await errorOf(() => expandCaptureArguments(["rotation/*.pcap.gz"], directory)), "E_IO")).toBe(true);
    expect(hasErrorCode(await errorOf(() => expandCaptureArguments(["missing.pcapng"], directory)), "E_IO")).toBe(true);
    expect(hasErrorCode(await errorOf(() => expandCaptureArguments(["rotation"], directory)), "E_IO")).toBe(true);
    expect(hasErrorCode(await errorOf(() => expandCaptureArguments(["-"], directory)), "E_INVALID_OPTION")).toBe(true);
  });
});

describe("groupCaptures", () => {
  const paths = ["/c/eu-1-match-10.pcapng", "/c/us-1-match-3.pcapng", "/c/eu-1-match-9.pcapng", "/c/loose.pcapng"];

  it("without a pattern every capture is a job", () => {
    expect(groupCaptures(paths, undefined)).toEqual(paths.map((path) => ({ paths: [path] })));
  });

  it("groups by the first capturing group, files in rotation (numeric name) order; names that do not match stay single", () => {
    expect(groupCaptures(paths, parseGroupPattern("^([a-z]+-\\d+)-match"))).toEqual([
      { key: "eu-1", paths: ["/c/eu-1-match-9.pcapng", "/c/eu-1-match-10.pcapng"] },
      { key: "us-1", paths: ["/c/us-1-match-3.pcapng"] },
      { paths: ["/c/loose.pcapng"] },
    ]);
  });

  it("a bad regular expression is E_INVALID_OPTION", () => {
    expect(() => parseGroupPattern("(unclosed")).toThrow(/--group-by/);
  });
});
