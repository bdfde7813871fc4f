/**
 * `pnpm --filter @tickscope/infer eval`: inference on every shipped protocol
 * shape (a simulated match each) — header fields found / expected, wrong
 * fields, and the loss / RTT error of the inferred definition against the
 * shipped one — then what it finds in the public captures of ../shared.
 */
import { existsSync } from "node:fs";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesDirectory } from "../../../test-support/index.ts";
import { formatInference, inferProtocol, shapeLabel } from "../src/index.js";
import { captureFlows, exampleDefinition, simulateShape } from "../src/test-support/capture-flows.js";
import { lossAndRtt, scoreInference } from "../src/test-support/evaluation.js";
import type { ProtocolDefinition } from "@tickscope/core/protocol";

const SHAPES = ["arena", "le-wrapping-clock", "channel-acks", "combined-command", "tick-clock", "aead-sequence64"];
const seed = Number(process.env.EVAL_SEED ?? 7);
const profile = process.env.EVAL_PROFILE ?? "4g";
console.log(`protocol shapes (simulated: seed ${seed}, 4 players, 20 s, profile ${profile}):`);
console.log("shape               found/expected  wrong  loss auto/def (pp error)       RTT p50 auto/def ms (error)   infer ms");
for (const shape of SHAPES) {
  const capture = simulateShape(shape, { seed, profile });
  const flows = await captureFlows(capture);
  const started = performance.now();
  const inference = inferProtocol(flows);
  const inferMs = performance.now() - started;
  const definition = exampleDefinition(shape) as unknown as ProtocolDefinition;
  const score = scoreInference(definition, inference);
  const declared = await lossAndRtt(capture, definition);
  const inferred = inference.definition === undefined ? undefined : await lossAndRtt(capture, inference.definition);
  const loss = inferred === undefined ? "n/a" : `${inferred.lossPercent.toFixed(3)}/${declared.lossPercent.toFixed(3)} (${Math.abs(inferred.lossPercent - declared.lossPercent).toFixed(3)})`;
  const rtt =
    inferred?.rttP50Ms === undefined || declared.rttP50Ms === undefined
      ? `n/a (auto ${inferred?.rttP50Ms?.toFixed(1) ?? "none"}, def ${declared.rttP50Ms?.toFixed(1) ?? "none"})`
      : `${inferred.rttP50Ms.toFixed(2)}/${declared.rttP50Ms.toFixed(2)} (${Math.abs(inferred.rttP50Ms - declared.rttP50Ms).toFixed(2)})`;
  console.log(`${shape.padEnd(20)}${`${score.found.length}/${score.expected.length}`.padEnd(16)}${String(score.wrong.length).padEnd(7)}${loss.padEnd(31)}${rtt.padEnd(30)}${inferMs.toFixed(0)}`);
  if (score.missed.length > 0) console.log(`  missed: ${score.missed.join(", ")}`);
  if (score.wrong.length > 0) console.log(`  wrong: ${score.wrong.join(", ")}`);
}

const CAPTURES: { file: string; documented: string; serverPorts?: number[] }[] = [
  { file: "ndpi_kcp.pcap", documented: "KCP: conv u32 LE @0, cmd u8 @4, frg u8 @5, wnd u16 LE @6, ts u32 LE @8 (ms), sn u32 LE @12, una u32 LE @16, len u32 LE @20" },
  { file: "ndpi_raknet.pcap", documented: "RakNet: flags byte (0x80 valid datagram; 0xc0 ACK), datagram sequence u24 LE @1" },
  { file: "ndpi_source_engine.pcap", documented: "Source engine A2S queries: 0xffffffff @0, then the query type (single-packet flows)" },
  { file: "ndpi_teamspeak3.pcap", documented: "TeamSpeak 3 voice (port 9987): MAC 8 bytes, packet id u16 BE @8, client id u16 BE @10 (client→server), type/flags u8; this capture's 9987 flow is 13 init packets (MAC 'TS3INIT1'), one direction", serverPorts: [9987] },
  { file: "ndpi_teamspeak3.pcap", documented: "the capture's other flow (ports 2010/2011, 576 datagrams): not TeamSpeak's voice port; no public layout", serverPorts: [2010] },
  { file: "ndpi_nintendo.pcap", documented: "Nintendo Switch online P2P (undocumented; nDPI matches it by port and first bytes)" },
  { file: "firefall_1869_gameplay.pcapng", documented: "Firefall: socket id u32 BE @0, then packets back to back with a 16-bit header and per-channel u16 sequences (no fixed-offset datagram sequence)" },
];
if (!hasSharedCaptures) {
  console.log(`\nreal captures: skipped (${sharedCapturesDirectory} is absent)`);
} else {
  for (const { file, documented, serverPorts } of CAPTURES) {
    const path = sharedCapturePath(file);
    if (!existsSync(path)) continue;
    const inference = inferProtocol(await captureFlows(path, { serverPorts }));
    console.log(`\n== ${file}${serverPorts === undefined ? "" : ` --server-port ${serverPorts.join(",")}`}\ndocumented: ${documented}`);
    console.log(
      `found${inference.found ? "" : " (nothing that measures)"}: ${inference.fields.length > 0 ? inference.fields.map((field) => `${field.role}${field.unit === undefined ? "" : ` (${field.unit})`} ${shapeLabel(field)}${field.when === undefined ? "" : ` when byte 0 ∈ {${field.when.in.join(",")}}`} (${field.confidence.toFixed(2)})`).join(", ") : "nothing"}`,
    );
    if (process.env.EVAL_VERBOSE) console.log(formatInference(inference));
  }
}
