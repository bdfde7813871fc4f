import { describe, expect, it } from "vitest";
import { adapterFor, availableAnalyses } from "./analyses/registry.js";
import { ANALYSIS_QUESTIONS, COMMAND_INDEX } from "./command-index.js";
import { createProgramFor } from "./lazy-program.js";
import { createProgram } from "./program.js";

describe("the program loads only the subcommand it runs", () => {
  it("top-level help of the lazy program is the full program's, word for word", async () => {
    expect((await createProgramFor(["--help"])).helpInformation()).toBe(createProgram().helpInformation());
  });

  it("the index lists every subcommand of the full program, in order", () => {
    expect(COMMAND_INDEX.map((entry) => entry.name)).toEqual(createProgram().commands.map((command) => command.name()));
  });

  it("the analysis questions in the index are the adapters' own", () => {
    for (const name of availableAnalyses()) expect(ANALYSIS_QUESTIONS[name]).toBe(adapterFor(name).question);
  });

  it.each(COMMAND_INDEX.map((entry) => entry.name))("'%s' is registered in full when it runs (same help as the full program)", async (name) => {
    const lazy = (await createProgramFor([name])).commands.find((command) => command.name() === name)!;
    const full = createProgram().commands.find((command) => command.name() === name)!;
    expect(lazy.helpInformation()).toBe(full.helpInformation());
    expect(lazy.commands.map((command) => command.name())).toEqual(full.commands.map((command) => command.name()));
  });

  it("'help <command>' and root options before the command load that command", async () => {
    for (const args of [["help", "decode"], ["--verbose", "decode", "x.pcap"]]) {
      const decode = (await createProgramFor(args)).commands.find((command) => command.name() === "decode")!;
      expect(decode.options.map((option) => option.long)).toContain("--ndjson");
    }
  });
});

describe("report formats load on demand", () => {
  it("the format names are the registry's, and each loads its own renderer", async () => {
    const { REPORT_FORMATS } = await import("./formats/index.js");
    const { REPORT_FORMAT_NAMES } = await import("./report-format-names.js");
    const { loadReportFormat } = await import("./formats/load-report-format.js");
    expect([...REPORT_FORMAT_NAMES]).toEqual(Object.keys(REPORT_FORMATS));
    for (const name of REPORT_FORMAT_NAMES) expect(await loadReportFormat(name)).toBe(REPORT_FORMATS[name]);
    await expect(loadReportFormat("constructor")).rejects.toThrow(/unknown format/);
  });
});
