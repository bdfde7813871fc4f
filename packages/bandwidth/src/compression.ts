import { brotliCompressSync, constants, deflateRawSync } from "node:zlib";
import type { CompressionByType, CompressionReport, CompressionTrial } from "./bandwidth-report.js";
import type { PayloadSample } from "./packet-observer.js";
import { packetHash } from "./payload-sampler.js";
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

/**
 * Precision a per-packet trial is measured to: datagrams are compressed in nested
 * subsamples (each twice the last) until the 95% interval of the savings ratio is at
 * most this wide on either side (0.02: ±2 percentage points), or the whole sample is measured.
 */
export const COMPRESSION_TARGET_HALF_WIDTH = 0.02;

/** Fewest datagrams a per-packet trial measures before its interval is looked at (all of them when the sample is smaller). */
export const MIN_COMPRESSION_TRIAL_PACKETS = 512;

/** Largest zlib window (2^15 bytes). */
const MAX_WINDOW_BITS = 15;

/** Bytes zlib keeps free at the end of its window: a match reaches back at most window − 262 bytes. */
const ZLIB_MIN_LOOKAHEAD = 262;

/**
 * Smallest raw-deflate window that holds `bytes` bytes of history (at least 2^9, zlib's
 * smallest for raw deflate): with every earlier byte in reach the compressed bytes are those
 * of the default 32 KiB window, and zlib allocates and clears far less per call.
 */
export function windowBitsFor(bytes: number): number {
  let bits = 9;
  while (bits < MAX_WINDOW_BITS && (1 << bits) - ZLIB_MIN_LOOKAHEAD < bytes) bits++;
  return bits;
}

/** Per-datagram deflate (level 9) size, with the smallest window that changes nothing. */
export function deflatedBytes(payload: Uint8Array): number {
  return deflateRawSync(payload, { level: 9, windowBits: windowBitsFor(payload.length), chunkSize: OUTPUT_CHUNK_BYTES }).length;
}

function ratio(before: number, after: number): number {
  return before > 0 ? Math.round(((before - after) / before) * 1e6) / 1e6 : 0;
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let index = 0; index < values.length; index++) total += values[index]!;
  return total;
}

/**
 * Nesting depth of each sampled datagram: the trailing zero bits of its
 * sampling hash (`PayloadSample.hash`, else {@link packetHash} of its index). The payload sampler keeps a datagram when its low `level` bits
 * are zero, so the datagrams of depth ≥ d are themselves a Bernoulli(2^−d) sample
 * of the capture, and each such subsample holds the next smaller one.
 */
export function sampleDepths(samples: readonly PayloadSample[]): Uint8Array {
  const depths = new Uint8Array(samples.length);
  for (let index = 0; index < samples.length; index++) {
    const hash = samples[index]!.hash ?? packetHash(samples[index]!.packetIndex);
    depths[index] = hash === 0 ? 32 : 31 - Math.clz32(hash & -hash);
  }
  return depths;
}

/** A per-packet trial measured on a nested subsample sized by its precision. */
interface SequentialTrial {
  trial: CompressionTrial;
  /** Indices (into the samples given) of the datagrams measured, in capture order. */
  measured: number[];
  /** Size after the scheme of each measured datagram, by sample index (NaN: not measured). */
  after: Float64Array;
}

/**
 * Runs a per-packet scheme (raw when that is smaller, plus the flag) on nested
 * subsamples, deepest first, doubling until the 95% interval of the savings ratio
 * is within ±`targetHalfWidth` (at least `MIN_COMPRESSION_TRIAL_PACKETS` datagrams
 * first) or every sampled datagram is measured; each datagram is compressed once.
 * A trial whose whole interval lies below `rivalLow` (the lower bound of a trial
 * already measured) cannot be the one recommended and stops there too.
 * `populationPackets`: the datagrams the samples were drawn from.
 */
function sequentialTrial(
  algorithm: string,
  mode: CompressionTrial["mode"],
  samples: readonly PayloadSample[],
  depths: Uint8Array,
  compress: (payload: Uint8Array) => number,
  populationPackets: number,
  targetHalfWidth: number,
  rivalLow = Number.NEGATIVE_INFINITY,
): SequentialTrial {
  const after = new Float64Array(samples.length).fill(Number.NaN);
  const levels = [...new Set(depths)].sort((a, b) => b - a);
  const population = Math.max(populationPackets, samples.length);
  let measured: number[] = [];
  for (let step = 0; step < levels.length; step++) {
    const level = levels[step]!;
    measured = [];
    for (let index = 0; index < samples.length; index++) {
      if (depths[index]! < level) continue;
      measured.push(index);
      if (Number.isNaN(after[index]!)) {
        const payload = samples[index]!.payload;
        after[index] = Math.min(payload.length, compress(payload)) + COMPRESSION_FLAG_BYTES;
      }
    }
    if (step === levels.length - 1 || measured.length < MIN_COMPRESSION_TRIAL_PACKETS || targetHalfWidth <= 0) continue;
    const interval = savingsRatioInterval(
      measured.map((index) => samples[index]!.payload.length),
      measured.map((index) => after[index]!),
      population,
    );
    if (interval !== undefined && ((interval.high - interval.low) / 2 <= targetHalfWidth || interval.high < rivalLow)) break;
  }
  const before = measured.map((index) => samples[index]!.payload.length);
  const afterMeasured = measured.map((index) => after[index]!);
  const bytesBefore = sum(before);
  const bytesAfter = sum(afterMeasured);
  // Measuring a subsample of the sample is sampling the population at a lower rate.
  const trial: CompressionTrial = { algorithm, mode, bytesBefore, bytesAfter, savingsRatio: ratio(bytesBefore, bytesAfter), sampledPackets: measured.length, populationPackets: population };
  const interval = savingsRatioInterval(before, afterMeasured, population);
  if (interval !== undefined) {
    trial.savingsRatioLow = interval.low;
    trial.savingsRatioHigh = interval.high;
  }
  return { trial, measured, after };
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
 * needs reliable, ordered delivery). A per-packet trial compresses nested
 * subsamples of the sample until the 95% interval of its savings ratio is within
 * ±`targetHalfWidth` (see {@link COMPRESSION_TARGET_HALF_WIDTH}) or lies wholly
 * below the interval of a trial measured before it (dictionary, then deflate,
 * then brotli: it cannot be the one recommended), and states the
 * datagrams it measured and that interval (`populationPackets`: the datagrams the
 * sample was drawn from; equal to the sample size when every datagram was offered).
 * A `targetHalfWidth` of 0 measures every sampled datagram in every trial.
 */
export function runCompressionTrials(samples: readonly PayloadSample[], populationPackets = samples.length, targetHalfWidth = COMPRESSION_TARGET_HALF_WIDTH): CompressionReport {
  let sampledBytes = 0;
  for (const sample of samples) sampledBytes += sample.payload.length;
  const trials: CompressionTrial[] = [];
  const population = Math.max(populationPackets, samples.length);
  if (samples.length === 0) return { sampledPackets: 0, sampledBytes: 0, populationPackets: population, targetHalfWidth, trials, byMessageType: [] };
  const depths = sampleDepths(samples);
  // The dictionary trial first (usually the best): a trial whose interval lies wholly below it needs no more precision.
  const half = Math.floor(samples.length / 2);
  let dictionaryTrial: CompressionTrial | undefined;
  if (half > 0) {
    const dictionary = trainDictionary(samples.slice(0, half));
    const test = samples.slice(half);
    // The measured half is drawn from the population's share the test half represents.
    const testPopulation = Math.round((population * test.length) / samples.length);
    dictionaryTrial = sequentialTrial("deflate", "perPacketDictionary", test, depths.subarray(half), (payload) => deflateRawSync(payload, { level: 9, dictionary, chunkSize: OUTPUT_CHUNK_BYTES }).length, testPopulation, targetHalfWidth).trial;
  }
  const lowOf = (trial: CompressionTrial | undefined): number => trial?.savingsRatioLow ?? Number.NEGATIVE_INFINITY;
  const deflate = sequentialTrial("deflate", "perPacket", samples, depths, deflatedBytes, population, targetHalfWidth, lowOf(dictionaryTrial));
  const brotliOptions = (payload: Uint8Array) => ({ chunkSize: OUTPUT_CHUNK_BYTES, params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: payload.length } });
  const brotli = sequentialTrial("brotli", "perPacket", samples, depths, (payload) => brotliCompressSync(payload, brotliOptions(payload)).length, population, targetHalfWidth, Math.max(lowOf(dictionaryTrial), lowOf(deflate.trial))).trial;
  trials.push(deflate.trial, brotli);
  if (dictionaryTrial !== undefined) trials.push(dictionaryTrial);
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
  trials.push({ algorithm: "deflate", mode: "perStream", bytesBefore: sampledBytes, bytesAfter: streamAfter, savingsRatio: ratio(sampledBytes, streamAfter), sampledPackets: samples.length, populationPackets: population });

  // By message type: the datagrams the per-packet deflate trial measured.
  const byType = new Map<string, { packets: number; before: number; after: number }>();
  for (const index of deflate.measured) {
    const sample = samples[index]!;
    const type = sample.firstMessageType ?? "(undecoded)";
    let entry = byType.get(type);
    if (entry === undefined) {
      entry = { packets: 0, before: 0, after: 0 };
      byType.set(type, entry);
    }
    entry.packets += 1;
    entry.before += sample.payload.length;
    entry.after += deflate.after[index]!;
  }
  const byMessageType: CompressionByType[] = [...byType.entries()]
    .map(([type, entry]) => ({ type, packets: entry.packets, bytesBefore: entry.before, deflateBytesAfter: entry.after, savingsRatio: ratio(entry.before, entry.after) }))
    .sort((a, b) => b.bytesBefore - a.bytesBefore || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return { sampledPackets: samples.length, sampledBytes, populationPackets: population, targetHalfWidth, trials, byMessageType };
}
