import { brotliCompressSync, constants, deflateRawSync } from "node:zlib";
import type { CompressionByType, CompressionReport, CompressionTrial } from "./bandwidth-report.js";
import type { PayloadSample } from "./packet-observer.js";
import { savingsRatioInterval } from "./savings-interval.js";

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

/** Per-datagram sizes after a per-packet scheme (raw when that is smaller, plus the flag). */
function perPacket(samples: readonly PayloadSample[], compress: (payload: Uint8Array) => number): Float64Array {
  const after = new Float64Array(samples.length);
  for (let index = 0; index < samples.length; index++) {
    const payload = samples[index]!.payload;
    after[index] = Math.min(payload.length, compress(payload)) + COMPRESSION_FLAG_BYTES;
  }
  return after;
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let index = 0; index < values.length; index++) total += values[index]!;
  return total;
}

/** A per-packet trial with its 95% interval (datagrams drawn from `populationPackets`). */
function perPacketTrial(algorithm: string, mode: CompressionTrial["mode"], samples: readonly PayloadSample[], after: Float64Array, populationPackets: number): CompressionTrial {
  const before = new Float64Array(samples.length);
  for (let index = 0; index < samples.length; index++) before[index] = samples[index]!.payload.length;
  const bytesBefore = sum(before);
  const bytesAfter = sum(after);
  const trial: CompressionTrial = { algorithm, mode, bytesBefore, bytesAfter, savingsRatio: ratio(bytesBefore, bytesAfter) };
  const interval = savingsRatioInterval(before, after, populationPackets);
  if (interval !== undefined) {
    trial.savingsRatioLow = interval.low;
    trial.savingsRatioHigh = interval.high;
  }
  return trial;
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
 * (one deflate context over the sampled datagrams of a session direction —
 * needs reliable, ordered delivery). Per-packet trials carry a 95% interval of
 * their savings ratio (`populationPackets`: the datagrams the sample was drawn
 * from; equal to the sample size when every datagram was compressed).
 */
export function runCompressionTrials(samples: readonly PayloadSample[], populationPackets = samples.length): CompressionReport {
  let sampledBytes = 0;
  for (const sample of samples) sampledBytes += sample.payload.length;
  const trials: CompressionTrial[] = [];
  const population = Math.max(populationPackets, samples.length);
  if (samples.length === 0) return { sampledPackets: 0, sampledBytes: 0, populationPackets: population, trials, byMessageType: [] };
  const deflateAfter = perPacket(samples, (payload) => deflateRawSync(payload, { level: 9, chunkSize: OUTPUT_CHUNK_BYTES }).length);
  trials.push(perPacketTrial("deflate", "perPacket", samples, deflateAfter, population));
  const brotliAfter = perPacket(samples, (payload) =>
    brotliCompressSync(payload, { chunkSize: OUTPUT_CHUNK_BYTES, params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: payload.length } }).length,
  );
  trials.push(perPacketTrial("brotli", "perPacket", samples, brotliAfter, population));
  const half = Math.floor(samples.length / 2);
  if (half > 0) {
    const dictionary = trainDictionary(samples.slice(0, half));
    const test = samples.slice(half);
    const dictionaryAfter = perPacket(test, (payload) => deflateRawSync(payload, { level: 9, dictionary, chunkSize: OUTPUT_CHUNK_BYTES }).length);
    // The measured half is drawn from the population's share the test half represents.
    trials.push(perPacketTrial("deflate", "perPacketDictionary", test, dictionaryAfter, Math.round((population * test.length) / samples.length)));
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
  for (let index = 0; index < samples.length; index++) {
    const sample = samples[index]!;
    const type = sample.firstMessageType ?? "(undecoded)";
    let entry = byType.get(type);
    if (entry === undefined) {
      entry = { packets: 0, before: 0, after: 0 };
      byType.set(type, entry);
    }
    entry.packets += 1;
    entry.before += sample.payload.length;
    entry.after += deflateAfter[index]!;
  }
  const byMessageType: CompressionByType[] = [...byType.entries()]
    .map(([type, entry]) => ({ type, packets: entry.packets, bytesBefore: entry.before, deflateBytesAfter: entry.after, savingsRatio: ratio(entry.before, entry.after) }))
    .sort((a, b) => b.bytesBefore - a.bytesBefore || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return { sampledPackets: samples.length, sampledBytes, populationPackets: population, trials, byMessageType };
}
