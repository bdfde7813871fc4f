import type { Command } from "commander";
import { streamsOf } from "../command-context.js";
import { PartialReportSchema } from "../partial-report-schema.js";
import { AnalyzeReportSchema } from "../report-document.js";

/** Registers `tickscope schema report` and `tickscope schema partial`: print the JSON Schemas of the JSON report and of a partial report. */
export function registerSchemaCommand(program: Command): void {
  const schema = program.command("schema").description("print JSON Schemas of tickscope outputs");
  schema
    .command("report")
    .description("JSON Schema of `tickscope analyze --format json` (validate reports, generate types)")
    .action((_options, command: Command) => {
      streamsOf(command).stdout.write(`${JSON.stringify(AnalyzeReportSchema, null, 2)}\n`);
    });
  schema
    .command("partial")
    .description("JSON Schema of a partial report (`analyze --partial`, the gzip'd JSON `tickscope merge` reads)")
    .action((_options, command: Command) => {
      streamsOf(command).stdout.write(`${JSON.stringify(PartialReportSchema, null, 2)}\n`);
    });
}
