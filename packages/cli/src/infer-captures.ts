import { runCapturePipeline } from "@tickscope/capture";
import { InferenceCollector, inferProtocol, type ProtocolInference } from "@tickscope/infer";
import { captureSource } from "./load-inputs.js";

/** Options of {@link inferFromCaptures}. */
export interface InferFromCapturesOptions {
  /** Server ports (`--server-port`): only their flows are inferred from. */
  serverPorts?: readonly number[];
  /** Datagrams kept per session direction while reading (default 2000). */
  maxDatagramsPerDirection?: number;
}

/**
 * Reads captures once (`-` is stdin) and infers a draft protocol definition
 * from a bounded sample of each session's datagrams (`tickscope protocol
 * infer`, `analyze --protocol auto`).
 */
export async function inferFromCaptures(captures: readonly string[], options: InferFromCapturesOptions = {}): Promise<ProtocolInference> {
  const collector = new InferenceCollector({ maxDatagramsPerDirection: options.maxDatagramsPerDirection ?? 2000 });
  await runCapturePipeline({
    sources: captures.map((path) => ({ source: captureSource(path), name: path })),
    serverPorts: options.serverPorts,
    analyzers: [collector],
    finishAnalyzers: false,
  });
  return inferProtocol(collector.finish(), { serverPorts: options.serverPorts });
}
