import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runCapturePipeline, type ByteSource } from "@tickscope/capture";
import { simulateMatchToMemory, type MatchOptions } from "@tickscope/sim";
import { InferenceCollector, type InferenceCollectorOptions, type InferenceFlow } from "../inference-input.js";

/** Folder of the shipped example definitions. */
export const EXAMPLES_DIRECTORY = fileURLToPath(new URL("../../../../examples/protocols/", import.meta.url));

/** Reads a capture (path or bytes) into sampled inference flows. */
export async function captureFlows(source: ByteSource, options: InferenceCollectorOptions & { serverPorts?: number[] } = {}): Promise<InferenceFlow[]> {
  const collector = new InferenceCollector(options);
  await runCapturePipeline({ sources: [source], analyzers: [collector], serverPorts: options.serverPorts, finishAnalyzers: false });
  return collector.finish();
}

/** An example definition by shape name. */
export function exampleDefinition(shape: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${EXAMPLES_DIRECTORY}${shape}.json`, "utf8")) as Record<string, unknown>;
}

/** A simulated match in a shipped shape (arena: the simulator's own encoder), as pcapng bytes. */
export function simulateShape(shape: string, options: Partial<MatchOptions> = {}): Uint8Array {
  const match: MatchOptions = { seed: 7, players: 4, durationMs: 20_000, ...options };
  return simulateMatchToMemory(match, shape === "arena" ? {} : { protocol: exampleDefinition(shape) as never }).pcapng;
}
