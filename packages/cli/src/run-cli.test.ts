import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import { runInMemory } from "./test-support/run.js";
import { ExitCode } from "./run-cli.js";

const temporary = mkdtempSync(join(tmpdir(), "tickscope-cli-"));

describe("tickscope command line", () => {
  it("prints help and version with exit code 0", async () => {
    const help = await runInMemory(["--help"]);
    expect(help.code).toBe(ExitCode.ok);
    expect(help.stdout).toContain("inspect");
    const version = await runInMemory(["--version"]);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("rejects unknown commands and bad options with exit code 2 and a hint", async () => {
    const unknown = await runInMemory(["frobnicate"]);
    expect(unknown.code).toBe(ExitCode.usage);
    expect(unknown.stderr).toContain("unknown command");
    const badPort = await runInMemory(["inspect", "x.pcap", "--server-port", "99999"]);
    expect(badPort.code).toBe(ExitCode.usage);
    expect(badPort.stderr).toContain("E_INVALID_OPTION");
    expect(badPort.stderr).toContain("hint:");
  });

  it("reports unreadable input as one line with exit code 3, no stack trace unless --verbose", async () => {
    const missing = await runInMemory(["inspect", join(temporary, "missing.pcap")]);
    expect(missing.code).toBe(ExitCode.unreadableInput);
    expect(missing.stderr.split("\n").filter(Boolean).length).toBeLessThanOrEqual(2);
    expect(missing.stderr).not.toContain("    at ");
    const garbage = join(temporary, "garbage.pcap");
    writeFileSync(garbage, "this is not a capture at all");
    const bad = await runInMemory(["inspect", garbage, "--verbose"]);
    expect(bad.code).toBe(ExitCode.unreadableInput);
    expect(bad.stderr).toContain("E_BAD_MAGIC");
    expect(bad.stderr).toContain("    at ");
  });

  it("prints the report JSON Schema and the protocol JSON Schema", async () => {
    const report = await runInMemory(["schema", "report"]);
    expect(JSON.parse(report.stdout).properties.report.properties.findings.type).toBe("array");
    const protocol = await runInMemory(["protocol", "schema"]);
    expect(JSON.parse(protocol.stdout).type).toBe("object");
  });

  it("rejects an invalid protocol definition with E_DEFINITION_INVALID and the JSON path", async () => {
    const path = join(temporary, "bad.json");
    writeFileSync(path, JSON.stringify({ name: "x", messages: "nope" }));
    const result = await runInMemory(["protocol", "check", path]);
    expect(result.code).toBe(ExitCode.unreadableInput);
    expect(result.stderr).toContain("E_DEFINITION_INVALID");
  });

  it.skipIf(!hasSharedCaptures)("inspects a real capture: UDP conversations as tshark counts them", async () => {
    const result = await runInMemory(["inspect", sharedCapturePath("ndpi_raknet.pcap"), "--json"]);
    expect(result.code).toBe(ExitCode.ok);
    const document = JSON.parse(result.stdout);
    expect(document.captures[0].format).toBe("pcap");
    expect(document.flows.length).toBeGreaterThan(0);
    const text = await runInMemory(["inspect", sharedCapturePath("ndpi_raknet.pcap")]);
    expect(text.stdout).toContain("## flows");
  });
  if (!hasSharedCaptures) it.skip(sharedCapturesSkipReason, () => {});
});
