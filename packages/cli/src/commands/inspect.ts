import type { Command } from "commander";
import { describeOtherTraffic, stringifyReport } from "@tickscope/core";
import { inspectCaptures, type InspectResult } from "@tickscope/capture";
import { formatCaptureTime } from "../formats/human-values.js";
import { streamsOf } from "../command-context.js";
import { renderMarkdownTable } from "../formats/markdown-format.js";
import { captureSource, loadProtocol } from "../load-inputs.js";
import { parsePortOption } from "../options.js";
import { escapeTerminalStrings } from "../terminal-text.js";

interface InspectOptions {
  serverPort?: number[];
  protocol?: string;
  keys?: string;
  json?: boolean;
}

/** Renders the inspect result as human tables. */
export function renderInspectText(result: InspectResult): string {
  const parts: string[] = ["## captures\n"];
  parts.push(
    renderMarkdownTable(
      result.captures.map((capture) => ({
        file: capture.file,
        format: capture.format + (capture.compressed ? "+gz" : ""),
        packets: capture.packets,
        bytes: capture.bytes,
        first: capture.firstUs === null ? "" : formatCaptureTime(capture.firstUs),
        last: capture.lastUs === null ? "" : formatCaptureTime(capture.lastUs, capture.firstUs ?? undefined),
        linkTypes: capture.linkTypes.join(","),
        anomalies: Object.entries(capture.anomalies).map(([code, count]) => `${code}×${count}`).join(" ") || "none",
      })),
    ),
  );
  parts.push("\n## flows\n");
  parts.push(
    renderMarkdownTable(
      result.flows.map((flow) => ({
        transport: flow.transport,
        a: flow.a,
        b: flow.b,
        "a→b packets": flow.aToB.packets,
        "a→b bytes": flow.aToB.bytes,
        "b→a packets": flow.bToA.packets,
        "b→a bytes": flow.bToA.bytes,
        server: flow.server ?? "",
        "decided by": flow.serverRule ?? "",
      })),
    ),
  );
  if (result.messages !== undefined) {
    parts.push("\n## messages\n");
    parts.push(renderMarkdownTable(result.messages.map((message) => ({ ...message }))));
    const anomalies = Object.entries(result.decodeAnomalies ?? {});
    parts.push(`\ndecode anomalies: ${anomalies.length === 0 ? "none" : anomalies.map(([code, count]) => `${code} × ${count}`).join(", ")}\n`);
  }
  const other = result.otherTraffic;
  if (other !== undefined) {
    parts.push("\n## other traffic\n\n");
    parts.push(`${describeOtherTraffic(other)}\n`);
    if (other.flows.length > 0) {
      parts.push("\n");
      parts.push(
        renderMarkdownTable(
          other.flows.map((flow) => ({
            transport: flow.transport,
            a: flow.a,
            b: flow.b,
            server: flow.server,
            reason: flow.reason,
            packets: flow.packets,
            bytes: flow.bytes,
            "game packets": flow.gamePackets,
          })),
        ),
      );
      if (other.flowCount > other.flows.length) parts.push(`\n(${other.flowCount - other.flows.length} more flow(s) with other traffic; --json lists the ${other.flows.length} with the most bytes)\n`);
    }
  }
  return parts.join("");
}

/** Registers `tickscope inspect <capture...>`. */
export function registerInspectCommand(program: Command): void {
  program
    .command("inspect")
    .description("summarize captures: packets, link types, flows, anomalies (and messages with --protocol)")
    .argument("<capture...>", "pcap/pcapng files (.gz ok), or - for stdin")
    .option("--server-port <port>", "a server port (repeatable); decides client/server, and flows on other ports are other traffic", parsePortOption)
    .option("--protocol <definition>", "protocol definition JSON: also count decoded messages")
    .option("--keys <file>", "key file for encrypted protocols")
    .option("--json", "print the JSON document instead of tables")
    .action(async (captures: string[], options: InspectOptions, command: Command) => {
      const loaded = options.protocol === undefined ? undefined : await loadProtocol(options.protocol, options.keys);
      const result = await inspectCaptures(
        captures.map((capture) => ({ source: captureSource(capture), name: capture })),
        { serverPorts: options.serverPort, decoder: loaded?.protocol },
      );
      const streams = streamsOf(command);
      streams.stdout.write(options.json ? `${stringifyReport(result)}\n` : renderInspectText(escapeTerminalStrings(result)));
    });
}
