import type { Command } from "commander";
import { formatTimeUs, stringifyReport, type GameMessage, type MessageAnalyzer } from "@tickscope/core";
import { runCapturePipeline } from "@tickscope/capture";
import { streamsOf } from "../command-context.js";
import { captureSource, loadProtocol } from "../load-inputs.js";
import { parsePortOption } from "../options.js";
import { escapeTerminalDocument, escapeTerminalText } from "../terminal-text.js";

interface DecodeOptions {
  protocol: string;
  keys?: string;
  ndjson?: boolean;
  serverPort?: number[];
}

const FLUSH_CHARACTERS = 1 << 16;

/** Formats one decoded message as an NDJSON record (`GameMessageRecordSchema`). */
export function messageToNdjson(message: GameMessage): string {
  return stringifyReport(
    {
      session: message.sessionId,
      direction: message.direction,
      tUs: message.tUs,
      packetIndex: message.packetIndex,
      type: message.type,
      bytes: message.byteLength,
      fields: message.fields,
    },
    0,
  );
}

/** Formats one decoded message as a human line. */
export function messageToText(message: GameMessage): string {
  const arrow = message.direction === "clientToServer" ? "c→s" : "s→c";
  return `${formatTimeUs(message.tUs)} #${message.packetIndex + 1} ${message.sessionId} ${arrow} ${message.type} ${stringifyReport(message.fields, 0)}`;
}

/** Registers `tickscope decode <capture> --protocol def.json`. */
export function registerDecodeCommand(program: Command): void {
  program
    .command("decode")
    .description("decode every game message of a capture with a protocol definition")
    .argument("<capture>", "pcap/pcapng file (.gz ok), or - for stdin")
    .requiredOption("--protocol <definition>", "protocol definition JSON")
    .option("--keys <file>", "key file for encrypted protocols")
    .option("--server-port <port>", "a server port (repeatable)", parsePortOption)
    .option("--ndjson", "one JSON record per message (session, direction, tUs, packetIndex, type, bytes, fields)")
    .action(async (capture: string, options: DecodeOptions, command: Command) => {
      const { protocol } = await loadProtocol(options.protocol, options.keys);
      const streams = streamsOf(command);
      const format = options.ndjson ? messageToNdjson : messageToText;
      let buffer = "";
      const printer: MessageAnalyzer<void> = {
        name: "decode",
        onMessage(message) {
          buffer += `${format(message)}\n`;
          if (buffer.length > FLUSH_CHARACTERS) {
            streams.stdout.write(options.ndjson ? buffer : escapeTerminalDocument(buffer));
            buffer = "";
          }
        },
        onAnomaly(anomaly) {
          streams.stderr.write(escapeTerminalDocument(`anomaly ${anomaly.code} in packet #${anomaly.packetIndex + 1}${anomaly.fieldPath ? ` at ${escapeTerminalText(anomaly.fieldPath)}` : ""}: ${escapeTerminalText(anomaly.detail)}\n`));
        },
        finish() {},
      };
      await runCapturePipeline({ sources: [{ source: captureSource(capture), name: capture }], decoder: protocol, serverPorts: options.serverPort, analyzers: [printer] });
      if (buffer.length > 0) streams.stdout.write(options.ndjson ? buffer : escapeTerminalDocument(buffer));
    });
}
