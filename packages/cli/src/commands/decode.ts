import type { Command } from "commander";
import { stringifyReport, type DecodeAnomaly, type GameMessage, type MessageAnalyzer } from "@tickscope/core";
import { runCapturePipeline } from "@tickscope/capture";
import { formatCaptureTime } from "../formats/human-values.js";
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

/**
 * Formats one decoded message as an NDJSON record (`GameMessageRecordSchema`):
 * `kind: "message"`, `frameNumber` is the Wireshark frame number (1-based) and
 * `packetIndex` the same packet counted from 0.
 */
export function messageToNdjson(message: GameMessage): string {
  return stringifyReport(
    {
      kind: "message",
      session: message.sessionId,
      direction: message.direction,
      tUs: Math.round(message.tUs),
      frameNumber: message.packetIndex + 1,
      packetIndex: message.packetIndex,
      type: message.type,
      bytes: message.byteLength,
      fields: message.fields,
    },
    0,
  );
}

/**
 * Formats a decode anomaly (a decryption or authentication failure, a truncated
 * message, …) as an NDJSON record in the same stream as the messages:
 * `{"kind":"anomaly","code":"E_DECRYPT_FAILED","frameNumber":3,…}`.
 */
export function anomalyToNdjson(anomaly: DecodeAnomaly): string {
  return stringifyReport(
    {
      kind: "anomaly",
      code: anomaly.code,
      session: anomaly.sessionId,
      direction: anomaly.direction,
      tUs: Math.round(anomaly.tUs),
      frameNumber: anomaly.packetIndex + 1,
      packetIndex: anomaly.packetIndex,
      ...(anomaly.messageType === undefined ? {} : { type: anomaly.messageType }),
      ...(anomaly.fieldPath === undefined ? {} : { fieldPath: anomaly.fieldPath }),
      ...(anomaly.offset === undefined ? {} : { offset: anomaly.offset }),
      detail: anomaly.detail,
    },
    0,
  );
}

/**
 * Formats one decoded message as a human line: the time as ISO + offset from
 * `captureStartUs` (the first packet; see `formatCaptureTime`), `frame N` the
 * Wireshark frame number.
 */
export function messageToText(message: GameMessage, captureStartUs?: number): string {
  const arrow = message.direction === "clientToServer" ? "c→s" : "s→c";
  return `${formatCaptureTime(message.tUs, captureStartUs)} frame ${message.packetIndex + 1} ${message.sessionId} ${arrow} ${message.type} ${stringifyReport(message.fields, 0)}`;
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
    .option("--ndjson", "one JSON record per message (kind \"message\", session, direction, tUs, frameNumber, packetIndex, type, bytes, fields) and per decode anomaly (kind \"anomaly\", code, frameNumber, detail, …)")
    .action(async (capture: string, options: DecodeOptions, command: Command) => {
      const { protocol } = await loadProtocol(options.protocol, options.keys);
      const streams = streamsOf(command);
      let buffer = "";
      let captureStartUs: number | undefined;
      const printer: MessageAnalyzer<void> = {
        name: "decode",
        onPacket(packet) {
          captureStartUs ??= packet.tUs;
        },
        onMessage(message) {
          captureStartUs ??= message.tUs;
          buffer += `${options.ndjson ? messageToNdjson(message) : messageToText(message, captureStartUs)}\n`;
          if (buffer.length > FLUSH_CHARACTERS) {
            streams.stdout.write(options.ndjson ? buffer : escapeTerminalDocument(buffer));
            buffer = "";
          }
        },
        onAnomaly(anomaly) {
          if (options.ndjson) buffer += `${anomalyToNdjson(anomaly)}\n`;
          streams.stderr.write(escapeTerminalDocument(`anomaly ${anomaly.code} in frame ${anomaly.packetIndex + 1}${anomaly.fieldPath ? ` at ${escapeTerminalText(anomaly.fieldPath)}` : ""}: ${escapeTerminalText(anomaly.detail)}\n`));
        },
        finish() {},
      };
      const result = await runCapturePipeline({ sources: [{ source: captureSource(capture), name: capture }], decoder: protocol, serverPorts: options.serverPort, analyzers: [printer] });
      if (buffer.length > 0) streams.stdout.write(options.ndjson ? buffer : escapeTerminalDocument(buffer));
      // never a silent empty output: say what the reader met in the file and why nothing was decoded
      const captureAnomalies = Object.entries(result.anomalies);
      if (captureAnomalies.length > 0) streams.stderr.write(`decode: capture anomalies (counted, the rest read): ${captureAnomalies.map(([code, count]) => `${code} × ${count}`).join(", ")}\n`);
      const decoded = result.messages.reduce((sum, entry) => sum + entry.count, 0);
      if (decoded === 0) {
        const other = result.otherTraffic.packets;
        streams.stderr.write(
          other > 0
            ? `decode: no message decoded: the definition matched none of the capture's ${other} other-traffic packet(s) (check its match rules and --server-port; \`tickscope inspect\` lists the flows)\n`
            : `decode: no message decoded: ${result.datagrams === 0 ? "the capture holds no UDP datagram" : `none of ${result.datagrams} datagram(s) decoded to a message`}\n`,
        );
      }
    });
}
