import type { DirectionStream } from "./direction-stream.js";

/** What one byte offset does across the sampled datagrams. */
export interface ByteStatistics {
  /** Byte offset. */
  offset: number;
  /** Datagrams long enough to hold it. */
  datagrams: number;
  /** Distinct values (up to 257: more than 256 cannot happen). */
  distinctValues: number;
  /** Count of each value (index = byte value). */
  histogram: Uint32Array;
  /** Whether every datagram has the same value (and which). */
  constantValue: number | undefined;
  /** Whether the value is constant within every session that has ≥ 4 datagrams. */
  constantPerSession: boolean;
  /** Distinct per-session constants (when {@link constantPerSession}). */
  sessionValues: number;
  /** Sessions with ≥ 4 datagrams holding this byte. */
  sessions: number;
}

/** Byte statistics for offsets 0 … `offsets − 1`. */
export function byteStatistics(streams: readonly DirectionStream[], offsets: number): ByteStatistics[] {
  const result: ByteStatistics[] = [];
  const sessionIds = [...new Set(streams.map((stream) => stream.sessionId))];
  for (let offset = 0; offset < offsets; offset++) {
    const histogram = new Uint32Array(256);
    let datagrams = 0;
    const perSession = new Map<string, { value: number; constant: boolean; count: number }>();
    for (const stream of streams) {
      let entry = perSession.get(stream.sessionId);
      for (const payload of stream.payloads) {
        if (payload.length <= offset) continue;
        const value = payload[offset]!;
        histogram[value] += 1;
        datagrams += 1;
        if (entry === undefined) perSession.set(stream.sessionId, (entry = { value, constant: true, count: 0 }));
        entry.count += 1;
        if (entry.value !== value) entry.constant = false;
      }
    }
    let distinctValues = 0;
    let constantValue: number | undefined;
    for (let value = 0; value < 256; value++) {
      if (histogram[value]! > 0) {
        distinctValues += 1;
        constantValue = value;
      }
    }
    if (distinctValues !== 1) constantValue = undefined;
    const counted = sessionIds.map((id) => perSession.get(id)).filter((entry) => entry !== undefined && entry.count >= 4);
    const constantPerSession = counted.length > 0 && counted.every((entry) => entry!.constant);
    result.push({
      offset,
      datagrams,
      distinctValues,
      histogram,
      constantValue,
      constantPerSession,
      sessionValues: constantPerSession ? new Set(counted.map((entry) => entry!.value)).size : 0,
      sessions: counted.length,
    });
  }
  return result;
}

/** Shannon entropy in bits per byte of the bytes from `fromOffset` on (at most `maxBytes` read). */
export function payloadEntropyBits(streams: readonly DirectionStream[], fromOffset: number, maxBytes = 1 << 20): { bits: number; bytes: number } {
  const histogram = new Float64Array(256);
  let total = 0;
  outer: for (const stream of streams) {
    for (const payload of stream.payloads) {
      for (let index = fromOffset; index < payload.length; index++) {
        histogram[payload[index]!] += 1;
        if (++total >= maxBytes) break outer;
      }
    }
  }
  let bits = 0;
  for (const count of histogram) if (count > 0) bits -= (count / total) * Math.log2(count / total);
  return { bits: total === 0 ? 0 : bits, bytes: total };
}
