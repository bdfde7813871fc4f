import type { Direction, MessageAnalyzer, PacketObservation } from "@tickscope/core";
import { runCapturePipeline } from "@tickscope/capture";
import { CaptureMatcher, OneWayDelayEstimator, payloadHash, type CaptureRecord, type OneWayDelayReport } from "@tickscope/latency";

/** One-way delay of a client-side and a server-side capture of the same traffic. */
export interface OneWayDelayResult extends OneWayDelayReport {
  /** Datagrams matched between the two captures (by payload hash, robust to NAT). */
  matchedPackets: number;
  /** Client-side datagrams with no server-side match (lost upstream, or outside the other capture). */
  unmatchedClientPackets: number;
  /** Server-side datagrams with no client-side match. */
  unmatchedServerPackets: number;
}

async function captureRecords(path: string, serverPorts: readonly number[] | undefined): Promise<CaptureRecord[]> {
  const records: CaptureRecord[] = [];
  const collector: MessageAnalyzer<void> = {
    name: "one-way-records",
    onPacket(packet: PacketObservation) {
      if (packet.payload === undefined) return;
      records.push({ tUs: packet.tUs, direction: packet.direction as Direction, payloadHash: payloadHash(packet.payload) });
    },
    onMessage() {},
    finish() {},
  };
  await runCapturePipeline({ sources: [{ source: path, name: path }], serverPorts, analyzers: [collector], finishAnalyzers: false });
  return records;
}

/**
 * Matches the datagrams of a client-side and a server-side capture, fits the
 * clock offset and drift between them (NTP-style lower envelope, see
 * `@tickscope/latency`'s `OneWayDelayEstimator`) and reports one-way delay per
 * direction. Keeps one 16-byte record per datagram of each capture.
 */
export async function measureOneWayDelay(clientCapture: string, serverCapture: string, serverPorts?: readonly number[]): Promise<OneWayDelayResult | null> {
  const client = await captureRecords(clientCapture, serverPorts);
  const server = await captureRecords(serverCapture, serverPorts);
  const matcher = new CaptureMatcher();
  const pairs = [...matcher.match(client, server)];
  if (pairs.length === 0) return null;
  const estimator = new OneWayDelayEstimator();
  for (const pair of pairs) estimator.add(pair);
  if (estimator.fit() === null) return null;
  for (const pair of pairs) estimator.measure(pair);
  return {
    ...estimator.report(),
    matchedPackets: matcher.matched,
    unmatchedClientPackets: matcher.unmatchedClient,
    unmatchedServerPackets: matcher.unmatchedServer,
  };
}
