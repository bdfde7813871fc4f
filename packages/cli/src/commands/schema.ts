import type { Command } from "commander";
import { streamsOf } from "../command-context.js";
import { AnalyzeReportSchema } from "../report-document.js";

/** Registers `tickscope schema report`: prints the JSON Schema of the JSON report. */
export function registerSchemaCommand(program: Command): void {
  program
    .command("schema")
    .description("print JSON Schemas of tickscope outputs")
    .command("report")
    .description("JSON Schema of `tickscope analyze --format json` (validate reports, generate types)")
    .action((_options, command: Command) => {
      streamsOf(command).stdout.write(`${JSON.stringify(AnalyzeReportSchema, null, 2)}\n`);
    });
}
