import { brotliCompressSync, constants, deflateRawSync } from "node:zlib";
import type { CompressionByType, CompressionReport, CompressionTrial } from "./bandwidth-report.js";
import type { PayloadSample } from "./packet-observer.js";

/** Bytes a per-packet compression scheme adds to say whether a datagram is compressed. */
export const COMPRESSION_FLAG_BYTES = 1;

/** Largest dictionary trained from the sample (zlib accepts up to 32 KiB). */
export const MAX_DICTIONARY_BYTES = 32768;

/**
 * Output chunk of the per-datagram compressors: datagrams are small, so a 1 KiB chunk (not
 * zlib's 16 KiB default, allocated per call) saves allocation; the compressed bytes are the same.
 */
const OUTPUT_CHUNK_BYTES = 1024;

function ratio(before: number, after: number): number {
  return before > 0 ? Math.round(((before - after) / before) * 1e6) / 1e6 : 0;
}

function perPacket(samples: readonly PayloadSample[], compress: (payload: Uint8Array) => number): number {
  let after = 0;
  for (const sample of samples) after += Math.min(sample.payload.length, compress(sample.payload)) + COMPRESSION_FLAG_BYTES;
  return after;
}

/**
 * Trains a dictionary from payloads: the most recent payloads first (zlib
 * matches best against the end of the dictionary), up to 32 KiB.
 */
export function trainDictionary(samples: readonly PayloadSample[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let index = samples.length - 1; index >= 0 && size < MAX_DICTIONARY_BYTES; index--) {
    const payload = samples[index]!.payload;
    const take = Math.min(payload.length, MAX_DICTIONARY_BYTES - size);
    parts.unshift(payload.subarray(0, take));
    size += take;
  }
  const dictionary = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    dictionary.set(part, offset);
    offset += part.length;
  }
  return dictionary;
}

/**
 * Compression trials on the payload sample, each measured by compressing the
 * captured bytes: per packet (deflate, brotli; a packet is sent raw when that
 * is smaller, plus a 1-byte flag), per packet with a dictionary trained on the
 * first half of the sample and measured on the second half, and per stream
 * (one deflate context over a whole session direction — needs reliable,
 * ordered delivery, so it is an upper bound for UDP).
 */
export function runCompressionTrials(samples: readonly PayloadSample[]): CompressionReport {
  let sampledBytes = 0;
  for (const sample of samples) sampledBytes += sample.payload.length;
  const trials: CompressionTrial[] = [];
  if (samples.length === 0) return { sampledPackets: 0, sampledBytes: 0, trials, byMessageType: [] };
  const deflateSizes = new Map<PayloadSample, number>();
  const deflate = (payload: Uint8Array): number => deflateRawSync(payload, { level: 9, chunkSize: OUTPUT_CHUNK_BYTES }).length;
  for (const sample of samples) deflateSizes.set(sample, deflate(sample.payload));
  let deflateAfter = 0;
  for (const sample of samples) deflateAfter += Math.min(sample.payload.length, deflateSizes.get(sample)!) + COMPRESSION_FLAG_BYTES;
  trials.push({ algorithm: "deflate", mode: "perPacket", bytesBefore: sampledBytes, bytesAfter: deflateAfter, savingsRatio: ratio(sampledBytes, deflateAfter) });
  const brotliAfter = perPacket(samples, (payload) =>
    brotliCompressSync(payload, { chunkSize: OUTPUT_CHUNK_BYTES, params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: payload.length } }).length,
  );
  trials.push({ algorithm: "brotli", mode: "perPacket", bytesBefore: sampledBytes, bytesAfter: brotliAfter, savingsRatio: ratio(sampledBytes, brotliAfter) });
  const half = Math.floor(samples.length / 2);
  if (half > 0) {
    const dictionary = trainDictionary(samples.slice(0, half));
    const test = samples.slice(half);
    let testBytes = 0;
    for (const sample of test) testBytes += sample.payload.length;
    const dictionaryAfter = perPacket(test, (payload) => deflateRawSync(payload, { level: 9, dictionary, chunkSize: OUTPUT_CHUNK_BYTES }).length);
    trials.push({ algorithm: "deflate", mode: "perPacketDictionary", bytesBefore: testBytes, bytesAfter: dictionaryAfter, savingsRatio: ratio(testBytes, dictionaryAfter) });
  }
  const streams = new Map<string, Uint8Array[]>();
  for (const sample of samples) {
    let list = streams.get(sample.streamKey);
    if (list === undefined) {
      list = [];
      streams.set(sample.streamKey, list);
    }
    list.push(sample.payload);
  }
  let streamAfter = 0;
  for (const key of [...streams.keys()].sort()) streamAfter += deflateRawSync(Buffer.concat(streams.get(key)!), { level: 9 }).length;
  trials.push({ algorithm: "deflate", mode: "perStream", bytesBefore: sampledBytes, bytesAfter: streamAfter, savingsRatio: ratio(sampledBytes, streamAfter) });

  const byType = new Map<string, { packets: number; before: number; after: number }>();
  for (const sample of samples) {
    const type = sample.firstMessageType ?? "(undecoded)";
    let entry = byType.get(type);
    if (entry === undefined) {
      entry = { packets: 0, before: 0, after: 0 };
      byType.set(type, entry);
    }
    entry.packets += 1;
    entry.before += sample.payload.length;
    entry.after += Math.min(sample.payload.length, deflateSizes.get(sample)!) + COMPRESSION_FLAG_BYTES;
  }
  const byMessageType: CompressionByType[] = [...byType.entries()]
    .map(([type, entry]) => ({ type, packets: entry.packets, bytesBefore: entry.before, deflateBytesAfter: entry.after, savingsRatio: ratio(entry.before, entry.after) }))
    .sort((a, b) => b.bytesBefore - a.bytesBefore || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return { sampledPackets: samples.length, sampledBytes, trials, byMessageType };
}
