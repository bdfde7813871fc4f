import { Readable } from "node:stream";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FlowTable, inspectCaptures, readCapture } from "./index.js";
import { simplePcapng } from "./test-support/capture-writer.js";
import { udpFrame } from "./test-support/packet-builder.js";

/** The README example, run on a generated capture (as a path and as a stdin-like stream). */
async function readmeExample(path: string, stdin: Readable): Promise<string[]> {
  const lines: string[] = [];
  const log = (...parts: unknown[]) => lines.push(parts.map((part) => (typeof part === "string" ? part : JSON.stringify(part))).join(" "));
  const source = path === "-" ? stdin : path;
  const flows = new FlowTable({ serverPorts: [59238] });
  let largestPayload = 0;
  const summary = await readCapture(source, {
    onPacket(packet) {
      flows.observe(packet);
      largestPayload = Math.max(largestPayload, packet.payload.length);
    },
  });
  log(`${summary.file}: ${summary.format}, ${summary.packets} frames, ${summary.udpPackets} UDP datagrams, anomalies`, summary.anomalies);
  log(`largest UDP payload ${largestPayload} bytes; sessions:`);
  for (const session of flows.sessions()) {
    log(`  ${session.id}  c→s ${session.clientToServer.packets} pkts  s→c ${session.serverToClient.packets} pkts`);
  }
  if (path !== "-") log(JSON.stringify((await inspectCaptures([path])).flows, null, 2));
  return lines;
}

describe("README example", () => {
  const capture = simplePcapng([
    { tUs: 1e15, data: udpFrame("192.168.1.111", 58637, "52.16.251.62", 59238, new Uint8Array(20)) },
    { tUs: 1e15 + 10, data: udpFrame("52.16.251.62", 59238, "192.168.1.111", 58637, new Uint8Array(300)) },
  ]);
  it("runs on a path and on stdin", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tickscope-readme-")), "match.pcapng");
    writeFileSync(path, capture);
    const fromPath = await readmeExample(path, Readable.from([]));
    expect(fromPath[0]).toBe(`${path}: pcapng, 2 frames, 2 UDP datagrams, anomalies {}`);
    expect(fromPath[1]).toBe("largest UDP payload 300 bytes; sessions:");
    expect(fromPath[2]).toBe("  udp:192.168.1.111:58637-52.16.251.62:59238  c→s 1 pkts  s→c 1 pkts");
    expect(JSON.parse(fromPath[3])[0]).toMatchObject({ a: "192.168.1.111:58637", b: "52.16.251.62:59238" });
    const fromStdin = await readmeExample("-", Readable.from([Buffer.from(capture)]));
    expect(fromStdin[0]).toBe("-: pcapng, 2 frames, 2 UDP datagrams, anomalies {}");
    expect(fromStdin).toHaveLength(3);
  });
});
