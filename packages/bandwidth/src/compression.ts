import { brotliCompressSync, constants, deflateRawSync } from "node:zlib";
import type { CompressionByType, CompressionReport, CompressionTrial } from "./bandwidth-report.js";
import { dictionaryDeflatedSizes, freshDeflatedBytes, OUTPUT_CHUNK_BYTES, reusedStreamDeflatedSizes, type PerPacketDeflate } from "./reused-deflate.js";
import type { PayloadSample } from "./packet-observer.js";
import { packetHash } from "./payload-sampler.js";
import { savingsRatioInterval } from "./savings-interval.js";

/** Bytes a per-packet compression scheme adds to say whether a datagram is compressed. */
export const COMPRESSION_FLAG_BYTES = 1;

/** Largest dictionary trained from the sample (zlib accepts up to 32 KiB). */
export const MAX_DICTIONARY_BYTES = 32768;

/**
 * Precision a per-packet trial is measured to: datagrams are compressed in nested
 * subsamples (each twice the last) until the 95% interval of the savings ratio is at
 * most this wide on either side (0.02: ±2 percentage points), or the whole sample is measured.
 */
export const COMPRESSION_TARGET_HALF_WIDTH = 0.02;

/** Fewest datagrams a per-packet trial measures before its interval is looked at (all of them when the sample is smaller). */
export const MIN_COMPRESSION_TRIAL_PACKETS = 512;

/**
 * Deflate level of the per-stream trial: zlib's default (6), what a sender
 * compressing its stream packet by packet runs (level 9 searches far longer
 * for about 1% fewer bytes: 6× the CPU on firefall_1869's sample).
 */
export const PER_STREAM_DEFLATE_LEVEL = 6;

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

/** The per-packet deflate trial's settings: level 9, the smallest window that changes nothing, no dictionary. */
const PER_PACKET_DEFLATE: PerPacketDeflate = { level: 9, windowBitsOf: windowBitsFor };

/** Per-datagram deflate (level 9) size, with the smallest window that changes nothing. */
export function deflatedBytes(payload: Uint8Array): number {
  return freshDeflatedBytes(payload, PER_PACKET_DEFLATE);
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

/**
 * Measuring order of the sampled datagrams: ascending bit-reversed sampling hash
 * (`PayloadSample.hash`, else {@link packetHash} of its index), ties by position.
 * The sampler keeps a datagram when the low bits of its hash are zero, and the
 * remaining bits are uniform, so every prefix of this order is a uniform random
 * subsample of the sample (the datagrams whose reversed hash lies below a
 * threshold: a Bernoulli sample of the capture), each prefix holds the shorter
 * ones, and the depth levels of {@link sampleDepths} are prefixes of it.
 */
export function sampleOrder(samples: readonly PayloadSample[]): Uint32Array {
  const keys = new Float64Array(samples.length);
  for (let index = 0; index < samples.length; index++) keys[index] = reverseBits32(samples[index]!.hash ?? packetHash(samples[index]!.packetIndex));
  const order = Uint32Array.from({ length: samples.length }, (_, index) => index);
  order.sort((a, b) => keys[a]! - keys[b]! || a - b);
  return order;
}

/** The 32 bits of `value` in reverse order (bit 0 becomes bit 31), unsigned. */
export function reverseBits32(value: number): number {
  let bits = value >>> 0;
  bits = ((bits >>> 1) & 0x55555555) | ((bits & 0x55555555) << 1);
  bits = ((bits >>> 2) & 0x33333333) | ((bits & 0x33333333) << 2);
  bits = ((bits >>> 4) & 0x0f0f0f0f) | ((bits & 0x0f0f0f0f) << 4);
  bits = ((bits >>> 8) & 0x00ff00ff) | ((bits & 0x00ff00ff) << 8);
  return ((bits >>> 16) | (bits << 16)) >>> 0;
}

/** Smallest factor by which a per-packet trial grows its subsample when its interval is still too wide. */
const MIN_GROWTH = 1.25;

/** Margin on the subsample size predicted to reach the target (the interval's width is itself an estimate). */
const PREDICTION_MARGIN = 1.1;

/**
 * Subsample size after `measured` datagrams gave an interval of half-width
 * `halfWidth`: the size at which the half-width is predicted to reach
 * `targetHalfWidth` (it falls as 1/√n), times {@link PREDICTION_MARGIN}, at
 * least {@link MIN_GROWTH} times the last, at most `available`.
 */
export function nextSubsampleSize(measured: number, halfWidth: number, targetHalfWidth: number, available: number): number {
  const predicted = Math.ceil(measured * (halfWidth / targetHalfWidth) ** 2 * PREDICTION_MARGIN);
  return Math.min(available, Math.max(Math.ceil(measured * MIN_GROWTH), predicted));
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
 * subsamples — prefixes of {@link sampleOrder} — starting with
 * `MIN_COMPRESSION_TRIAL_PACKETS` datagrams and growing to the size its last
 * interval predicts is needed ({@link nextSubsampleSize}) until the 95% interval
 * of the savings ratio is within ±`targetHalfWidth` or every sampled datagram is
 * measured; each datagram is compressed once.
 * A trial whose whole interval lies below `rivalLow` (the lower bound of a trial
 * already measured) cannot be the one recommended and stops there too.
 * `order`: the measuring order of `samples` (indices into it).
 * `compress`: the compressed sizes of the payloads of one step, index-aligned.
 * `populationPackets`: the datagrams the samples were drawn from.
 */
function sequentialTrial(
  algorithm: string,
  mode: CompressionTrial["mode"],
  samples: readonly PayloadSample[],
  order: ArrayLike<number>,
  compress: (payloads: readonly Uint8Array[]) => ArrayLike<number>,
  populationPackets: number,
  targetHalfWidth: number,
  rivalLow = Number.NEGATIVE_INFINITY,
): SequentialTrial {
  const after = new Float64Array(samples.length).fill(Number.NaN);
  const available = order.length;
  const population = Math.max(populationPackets, available);
  let size = targetHalfWidth <= 0 ? available : Math.min(available, MIN_COMPRESSION_TRIAL_PACKETS);
  let done = 0;
  const before: number[] = [];
  const afterMeasured: number[] = [];
  for (;;) {
    // The datagrams this step adds, compressed together (a scheme may measure them in its own order), counted in measuring order.
    const payloads: Uint8Array[] = [];
    for (let position = done; position < size; position++) payloads.push(samples[order[position]!]!.payload);
    const compressed = compress(payloads);
    for (let step = 0; done < size; done++, step++) {
      const index = order[done]!;
      const payload = payloads[step]!;
      const bytes = Math.min(payload.length, compressed[step]!) + COMPRESSION_FLAG_BYTES;
      after[index] = bytes;
      before.push(payload.length);
      afterMeasured.push(bytes);
    }
    if (size >= available) break;
    const interval = savingsRatioInterval(before, afterMeasured, population);
    if (interval === undefined) {
      size = available;
      continue;
    }
    const halfWidth = (interval.high - interval.low) / 2;
    if (halfWidth <= targetHalfWidth || interval.high < rivalLow) break;
    size = nextSubsampleSize(size, halfWidth, targetHalfWidth, available);
  }
  const measured = Array.from({ length: done }, (_, position) => order[position]!).sort((a, b) => a - b);
  const bytesBefore = sum(before);
  const bytesAfter = sum(afterMeasured);
  // Measuring a subsample of the sample is sampling the population at a lower rate.
  const trial: CompressionTrial = { algorithm, mode, bytesBefore, bytesAfter, savingsRatio: ratio(bytesBefore, bytesAfter), sampledPackets: done, populationPackets: population };
  const interval = savingsRatioInterval(before, afterMeasured, population);
  if (interval !== undefined) {
    trial.savingsRatioLow = interval.low;
    trial.savingsRatioHigh = interval.high;
  }
  return { trial, measured, after };
}

/**
 * Trains a dictionary from the payloads of `samples` before `end` (default: all):
 * the most recent payloads first (zlib matches best against the end of the
 * dictionary), up to 32 KiB.
 */
export function trainDictionary(samples: readonly PayloadSample[], end = samples.length): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let index = Math.min(end, samples.length) - 1; index >= 0 && size < MAX_DICTIONARY_BYTES; index--) {
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
 * (one deflate context at {@link PER_STREAM_DEFLATE_LEVEL} over the sampled
 * datagrams of a session direction — needs reliable, ordered delivery). A per-packet trial compresses nested
 * subsamples of the sample (prefixes of {@link sampleOrder}, from
 * `MIN_COMPRESSION_TRIAL_PACKETS` datagrams up to the size its last interval
 * predicts is needed) until the 95% interval of its savings ratio is within
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
  const order = sampleOrder(samples);
  // The dictionary trial first (usually the best): a trial whose interval lies wholly below it needs no more precision.
  const half = Math.floor(samples.length / 2);
  let dictionaryTrial: CompressionTrial | undefined;
  if (half > 0) {
    const dictionary = trainDictionary(samples, half);
    // The measured half (the second) is drawn from the population's share it represents.
    const testOrder = order.filter((index) => index >= half);
    const testPopulation = Math.round((population * testOrder.length) / samples.length);
    dictionaryTrial = sequentialTrial("deflate", "perPacketDictionary", samples, testOrder, (payloads) => dictionaryDeflatedSizes(payloads, dictionary), testPopulation, targetHalfWidth).trial;
  }
  const lowOf = (trial: CompressionTrial | undefined): number => trial?.savingsRatioLow ?? Number.NEGATIVE_INFINITY;
  const deflate = sequentialTrial("deflate", "perPacket", samples, order, (payloads) => reusedStreamDeflatedSizes(payloads, PER_PACKET_DEFLATE), population, targetHalfWidth, lowOf(dictionaryTrial));
  const brotliOptions = (payload: Uint8Array) => ({ chunkSize: OUTPUT_CHUNK_BYTES, params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: payload.length } });
  const brotli = sequentialTrial("brotli", "perPacket", samples, order, (payloads) => payloads.map((payload) => brotliCompressSync(payload, brotliOptions(payload)).length), population, targetHalfWidth, Math.max(lowOf(dictionaryTrial), lowOf(deflate.trial))).trial;
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
  for (const key of [...streams.keys()].sort()) streamAfter += deflateRawSync(Buffer.concat(streams.get(key)!), { level: PER_STREAM_DEFLATE_LEVEL }).length;
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
