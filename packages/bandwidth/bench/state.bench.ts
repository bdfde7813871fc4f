/**
 * Saved-state benchmark: size of `saveState()` as JSON and the cost of saving
 * and merging it, on simulated arena matches (@tickscope/sim → pcapng →
 * @tickscope/capture → arena decoder; arena layouts as re-encoder).
 * Env: BENCH_MATCHES="16x60,100x120" (players x seconds).
 *
 * Run: `npx tsx packages/bandwidth/bench/state.bench.ts` (needs `pnpm build` of
 * core, capture and sim). Times are wall-clock on whatever machine runs it.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runCapturePipeline } from "@tickscope/capture";
import { createArenaEncoder, simulateMatchToMemory } from "@tickscope/sim";
import { createBandwidthAnalyzer, layoutsFromDefinition, LayoutReencoder, type BandwidthAnalyzerState } from "../src/index.js";

const definition = JSON.parse(readFileSync(fileURLToPath(new URL("../../../examples/protocols/arena.json", import.meta.url)), "utf8"));
const reencoder = new LayoutReencoder(layoutsFromDefinition(definition).layouts);
const options = { reencoder, tolerances: { x: 0.05, y: 0.05, z: 0.05 } };

for (const match of (process.env.BENCH_MATCHES ?? "16x60,100x120").split(",")) {
  const [players, seconds] = match.split("x").map(Number) as [number, number];
  const capture = simulateMatchToMemory({ seed: 7, players, durationMs: seconds * 1000 });
  const analyzer = createBandwidthAnalyzer(options);
  const started = performance.now();
  await runCapturePipeline({ sources: [capture.pcapng], decoder: createArenaEncoder().protocol, serverPorts: [7777], analyzers: [analyzer] });
  const passMs = performance.now() - started;
  const saveStarted = performance.now();
  const state = analyzer.saveState();
  const text = JSON.stringify(state);
  const saveMs = performance.now() - saveStarted;
  const mergeStarted = performance.now();
  const merged = createBandwidthAnalyzer(options);
  merged.mergeState(JSON.parse(text) as BandwidthAnalyzerState, { packetIndexOffset: 0 });
  const mergeMs = performance.now() - mergeStarted;
  const part = (value: unknown): string => `${(JSON.stringify(value).length / 1e6).toFixed(2)} MB`;
  console.log(
    `${players} players × ${seconds} s (${(capture.pcapng.length / 1e6).toFixed(0)} MB capture, pass ${(passMs / 1000).toFixed(1)} s): state ${(text.length / 1e6).toFixed(2)} MB JSON ` +
      `(trace ${part(state.trace)}, payload sample and stream heads ${part(state.observer)}, accounting ${part(state.accounting)}); ` +
      `save + stringify ${Math.round(saveMs)} ms, parse + merge ${Math.round(mergeMs)} ms`,
  );
}
