import type { Command } from "commander";
import { ErrorCode } from "@tickscope/core";
import {
  findProtocolDefinitionProblems,
  formatProtocolSummary,
  jsonSyntaxError,
  parseProtocolDefinition,
  ProtocolDefinitionSchema,
  summarizeProtocol,
  type DefinitionProblem,
} from "@tickscope/core/protocol";
import { setExitCode, streamsOf } from "../command-context.js";
import { ExitCode } from "../exit-code.js";
import { loadProtocol, readTextFile } from "../load-inputs.js";
import { escapeTerminalDocument, escapeTerminalStrings, escapeTerminalText } from "../terminal-text.js";
import { parsePortOption } from "../options.js";

/**
 * The problems of a definition file: none when it is valid. A JSON syntax error
 * or a too-long file throws `E_DEFINITION_INVALID` (with line and column).
 */
async function definitionFileProblems(definitionPath: string): Promise<DefinitionProblem[]> {
  const text = await readTextFile(definitionPath, "protocol definition");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw jsonSyntaxError(text, cause);
  }
  const problems = findProtocolDefinitionProblems(value);
  if (problems.length <= 1) {
    parseProtocolDefinition(text); // one problem (or a too-long file): the usual one-line error
    return [];
  }
  return problems;
}

/** Registers `tickscope protocol schema`, `tickscope protocol check <definition>` and `tickscope protocol infer <capture...>`. */
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
    .description("validate a definition and compile it; print its messages and roles (or every problem, with the nearest valid name)")
    .argument("<definition>", "protocol definition JSON")
    .option("--json", "print the summary as JSON")
    .action(async (definitionPath: string, options: { json?: boolean }, command: Command) => {
      const streams = streamsOf(command);
      const problems = await definitionFileProblems(definitionPath);
      if (problems.length > 0) {
        streams.stderr.write(`tickscope: ${ErrorCode.definitionInvalid}: ${problems.length} problems in '${escapeTerminalText(definitionPath)}':\n`);
        for (const problem of problems) streams.stderr.write(`  ${escapeTerminalText(problem.path)}: ${escapeTerminalText(problem.message)}\n`);
        setExitCode(command, ExitCode.unreadableInput);
        return;
      }
      const { definition } = await loadProtocol(definitionPath);
      const summary = summarizeProtocol(definition);
      streams.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatProtocolSummary(escapeTerminalStrings(summary))}\n`);
    });
  protocol
    .command("infer")
    .description("draft a definition from captures: sequence, ack, ack bits, sender clock, length, magic and session-id fields, each with a confidence and its evidence")
    .argument("<capture...>", "pcap/pcapng files (.gz ok)")
    .option("--server-port <port>", "only flows on this server port (repeatable)", parsePortOption)
    .option("--format <format>", "text or json", "text")
    .option("--out <file>", "write the draft definition (JSON) to this file")
    .action(async (captures: string[], options: { serverPort?: number[]; format: string; out?: string }, command: Command) => {
      const streams = streamsOf(command);
      if (options.format !== "text" && options.format !== "json") {
        command.error(`error: --format must be text or json, got '${escapeTerminalText(options.format)}'`, { exitCode: ExitCode.usage, code: "tickscope.badFormat" });
      }
      // loaded when the command runs: inference is not part of every CLI start
      const [{ inferFromCaptures }, { formatInference, inferenceToJson }] = await Promise.all([import("../infer-captures.js"), import("@tickscope/infer")]);
      const inference = await inferFromCaptures(captures, { serverPorts: options.serverPort });
      streams.stdout.write(options.format === "json" ? `${JSON.stringify(inferenceToJson(inference), null, 2)}\n` : escapeTerminalDocument(formatInference(inference)));
      if (options.out !== undefined) {
        if (inference.definition === undefined) {
          streams.stderr.write("tickscope: nothing found: no draft definition written\n");
          setExitCode(command, ExitCode.findings);
          return;
        }
        const { writeFile } = await import("node:fs/promises");
        await writeFile(options.out, `${JSON.stringify(inference.definition, null, 2)}\n`);
        streams.stderr.write(`wrote ${escapeTerminalText(options.out)}\n`);
      }
    });
}
