import { performance } from "node:perf_hooks";
import type { DatagramContext } from "../src/datagram-decoder.js";
import { compileProtocol, type CompiledProtocol } from "../src/protocol/index.js";
import { firefallDefinition, generateFirefallDatagrams } from "./firefall-datagrams.js";

/**
 * Decode-only throughput of the compiled decoder and of the interpreter on 1M
 * generated Firefall-style datagrams (`pnpm --filter @tickscope/core bench`).
 * The end-to-end capture -> messages figure is measured in @tickscope/capture's
 * bench (it needs the capture reader); see examples/protocols/README.md.
 */
const DATAGRAMS = Number(process.env.BENCH_DATAGRAMS ?? 1_000_000);

function run(protocol: CompiledProtocol, datagrams: Uint8Array[], serverToClient: boolean[]): { messages: number; anomalies: number; seconds: number; bytes: number } {
  const context: DatagramContext = { sessionId: "bench", direction: "clientToServer", tUs: 0, packetIndex: 0, packetWireLength: 0 };
  let messages = 0;
  let anomalies = 0;
  let bytes = 0;
  const onMessage = (): void => {
    messages += 1;
  };
  const onAnomaly = (): void => {
    anomalies += 1;
  };
  const start = performance.now();
  for (let index = 0; index < datagrams.length; index++) {
    context.packetIndex = index;
    context.direction = serverToClient[index] ? "serverToClient" : "clientToServer";
    const datagram = datagrams[index];
    bytes += datagram.length;
    protocol.decodeDatagram(datagram, context, onMessage, onAnomaly);
  }
  return { messages, anomalies, bytes, seconds: (performance.now() - start) / 1000 };
}

const { datagrams, serverToClient } = generateFirefallDatagrams(DATAGRAMS);
console.log(`protocol bench: ${datagrams.length.toLocaleString("en-US")} generated Firefall-style datagrams`);
for (const mode of ["compiled", "interpreted"] as const) {
  const protocol = compileProtocol(firefallDefinition(), { mode });
  run(protocol, datagrams.slice(0, 50_000), serverToClient); // warm-up
  const result = run(protocol, datagrams, serverToClient);
  if (result.anomalies > 0) throw new Error(`${result.anomalies} anomalies in generated data`);
  const rate = result.messages / result.seconds;
  console.log(
    `  ${mode.padEnd(11)} decode-only: ${result.messages.toLocaleString("en-US")} messages in ${result.seconds.toFixed(3)} s = ${(rate / 1e6).toFixed(2)} M messages/s, ${(datagrams.length / result.seconds / 1e6).toFixed(2)} M datagrams/s, ${(result.bytes / result.seconds / 1e6).toFixed(1)} MB/s`,
  );
}
