import type { Command } from "commander";
import { formatProtocolSummary, ProtocolDefinitionSchema, summarizeProtocol } from "@tickscope/core/protocol";
import { streamsOf } from "../command-context.js";
import { loadProtocol } from "../load-inputs.js";
import { escapeTerminalStrings } from "../terminal-text.js";

/** Registers `tickscope protocol schema` and `tickscope protocol check <definition>`. */
export function registerProtocolCommand(program: Command): void {
  const protocol = program.command("protocol").description("protocol definitions: JSON Schema and validation");
  protocol
    .command("schema")
    .description("print the JSON Schema of protocol definitions (for editor autocompletion)")
    .action((_options, command: Command) => {
      streamsOf(command).stdout.write(`${JSON.stringify(ProtocolDefinitionSchema, null, 2)}\n`);
    });
  protocol
    .command("check")
    .description("validate a definition and compile it; print its messages and roles")
    .argument("<definition>", "protocol definition JSON")
    .option("--json", "print the summary as JSON")
    .action(async (definitionPath: string, options: { json?: boolean }, command: Command) => {
      const { definition } = await loadProtocol(definitionPath);
      const summary = summarizeProtocol(definition);
      streamsOf(command).stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatProtocolSummary(escapeTerminalStrings(summary))}\n`);
    });
}
