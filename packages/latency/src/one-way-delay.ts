import type { Direction } from "@tickscope/core";
import { round3 } from "./cause-timeline.js";
import type { LatencyPercentiles } from "./latency-report.js";
import { payloadFingerprint, QuantileSketch } from "@tickscope/core";

/** One datagram seen by one of the two captures. */
export interface CaptureRecord {
  /** Capture time in that capture's clock, µs. */
  tUs: number;
  direction: Direction;
  /** Hash of the transport payload (see {@link payloadHash}); computed from `payload` when absent. */
  payloadHash?: number;
  /** Transport payload (only hashed, never kept). */
  payload?: Uint8Array;
}

/** The same datagram seen by the client-side and the server-side capture. */
export interface MatchedPair {
  direction: Direction;
  /** Time in the client capture's clock, µs. */
  clientUs: number;
  /** Time in the server capture's clock, µs. */
  serverUs: number;
}

/**
 * Core's payload fingerprint (MurmurHash3 x86_32, the one bandwidth and loss
 * use) combined with the payload's length (48-bit result). Only the payload is
 * hashed, so NAT rewriting addresses and ports — or checksums — does not
 * prevent a match.
 */
export function payloadHash(payload: Uint8Array): number {
  return payloadFingerprint(payload) * 65536 + (payload.length & 0xffff);
}

/** Options of {@link CaptureMatcher}. */
export interface CaptureMatcherOptions {
  /** Largest |Δt| between the two sightings after the coarse offset, µs. Default 2,000,000. */
  windowUs?: number;
  /** Records of each capture read to estimate the coarse clock offset. Default 2,000. */
  probeRecords?: number;
}

interface PendingEntry {
  key: number;
  /** Time on the merged (client) timeline. */
  tUs: number;
  /** Time as captured. */
  originalUs: number;
  matched: boolean;
}

/**
 * Matches the datagrams of a client-side and a server-side capture by payload
 * hash and direction within a time window. The clocks may differ by any
 * amount: a coarse offset is first estimated from the first `probeRecords`
 * of each side (midpoint of the per-direction medians of Δt over hash
 * matches), then both streams are merged
 * in time order while that offset follows the matched pairs (drift). Memory: datagrams pending within the window.
 */
export class CaptureMatcher {
  /** Pairs produced. */
  matched = 0;
  /** Client records never matched. */
  unmatchedClient = 0;
  /** Server records never matched. */
  unmatchedServer = 0;
  /** Matches chosen among several pending sightings of the same payload. */
  ambiguous = 0;
  /** Current merge offset server − client, µs (follows drift: midpoint of per-direction running Δ). */
  coarseOffsetUs = 0;
  private readonly windowUs: number;
  private readonly probeRecords: number;

  constructor(options: CaptureMatcherOptions = {}) {
    this.windowUs = options.windowUs ?? 2_000_000;
    this.probeRecords = options.probeRecords ?? 2000;
  }

  /** Yields matched pairs from the two captures (each iterable in its own time order). */
  *match(client: Iterable<CaptureRecord>, server: Iterable<CaptureRecord>): Generator<MatchedPair> {
    const clientIterator = client[Symbol.iterator]();
    const serverIterator = server[Symbol.iterator]();
    const clientProbe = take(clientIterator, this.probeRecords);
    const serverProbe = take(serverIterator, this.probeRecords);
    const probe = coarseOffset(clientProbe, serverProbe);
    this.coarseOffsetUs = (probe.upstreamUs + probe.downstreamUs) / 2;
    let upstreamUs = probe.upstreamUs;
    let downstreamUs = probe.downstreamUs;
    const clientStream = chain(clientProbe, clientIterator);
    const serverStream = chain(serverProbe, serverIterator);
    const pending: [Map<number, PendingEntry[]>, Map<number, PendingEntry[]>] = [new Map(), new Map()];
    const queues: [PendingEntry[], PendingEntry[]] = [[], []];
    const heads = [0, 0];
    let nextClient = clientStream.next();
    let nextServer = serverStream.next();
    while (!nextClient.done || !nextServer.done) {
      const clientTime = nextClient.done ? Infinity : nextClient.value.tUs;
      const serverTime = nextServer.done ? Infinity : nextServer.value.tUs - this.coarseOffsetUs;
      const side = clientTime <= serverTime ? 0 : 1;
      const record = side === 0 ? nextClient.value! : nextServer.value!;
      const now = side === 0 ? clientTime : serverTime;
      if (side === 0) nextClient = clientStream.next();
      else nextServer = serverStream.next();
      // Expire old entries on both sides.
      for (const expireSide of [0, 1] as const) {
        const queue = queues[expireSide];
        while (heads[expireSide] < queue.length && queue[heads[expireSide]].tUs < now - this.windowUs) {
          const entry = queue[heads[expireSide]++];
          if (entry.matched) continue;
          if (expireSide === 0) this.unmatchedClient += 1;
          else this.unmatchedServer += 1;
          const list = pending[expireSide].get(entry.key)!;
          list.splice(list.indexOf(entry), 1);
          if (list.length === 0) pending[expireSide].delete(entry.key);
        }
        if (heads[expireSide] > 4096 && heads[expireSide] * 2 > queue.length) {
          queue.splice(0, heads[expireSide]);
          heads[expireSide] = 0;
        }
      }
      const hash = record.payloadHash ?? (record.payload !== undefined ? payloadHash(record.payload) : Number.NaN);
      if (Number.isNaN(hash)) continue;
      const key = hash * 2 + (record.direction === "clientToServer" ? 0 : 1);
      const otherSide = 1 - side;
      const candidates = pending[otherSide].get(key);
      if (candidates !== undefined) {
        // Duplicate payloads (keep-alives): take the sighting nearest in time.
        let chosen = 0;
        for (let index = 1; index < candidates.length; index++) {
          if (Math.abs(candidates[index].tUs - now) < Math.abs(candidates[chosen].tUs - now)) chosen = index;
        }
        if (candidates.length > 1) this.ambiguous += 1;
        const entry = candidates.splice(chosen, 1)[0];
        if (candidates.length === 0) pending[otherSide].delete(key);
        entry.matched = true;
        this.matched += 1;
        // Track clock drift: follow each direction's Δ (server − client) and re-centre the merge offset.
        const serverUs = side === 0 ? entry.originalUs : record.tUs;
        const clientUs = side === 0 ? record.tUs : entry.originalUs;
        const difference = serverUs - clientUs;
        if (record.direction === "clientToServer") upstreamUs += (difference - upstreamUs) / 64;
        else downstreamUs += (difference - downstreamUs) / 64;
        this.coarseOffsetUs = (upstreamUs + downstreamUs) / 2;
        yield side === 0
          ? { direction: record.direction, clientUs: record.tUs, serverUs: entry.originalUs }
          : { direction: record.direction, clientUs: entry.originalUs, serverUs: record.tUs };
        continue;
      }
      const entry: PendingEntry = { key, tUs: now, originalUs: record.tUs, matched: false };
      queues[side].push(entry);
      const list = pending[side].get(key);
      if (list === undefined) pending[side].set(key, [entry]);
      else list.push(entry);
    }
    for (const side of [0, 1] as const) {
      for (let index = heads[side]; index < queues[side].length; index++) {
        if (queues[side][index].matched) continue;
        if (side === 0) this.unmatchedClient += 1;
        else this.unmatchedServer += 1;
      }
    }
  }
}

function take(iterator: Iterator<CaptureRecord>, count: number): CaptureRecord[] {
  const result: CaptureRecord[] = [];
  while (result.length < count) {
    const next = iterator.next();
    if (next.done) break;
    result.push(next.value);
  }
  return result;
}

function* chain(first: CaptureRecord[], rest: Iterator<CaptureRecord>): Generator<CaptureRecord> {
  yield* first;
  for (let next = rest.next(); !next.done; next = rest.next()) yield next.value;
}

function coarseOffset(client: CaptureRecord[], server: CaptureRecord[]): { upstreamUs: number; downstreamUs: number } {
  const byKey = new Map<number, number>();
  for (const record of client) {
    const hash = record.payloadHash ?? (record.payload !== undefined ? payloadHash(record.payload) : Number.NaN);
    if (Number.isNaN(hash)) continue;
    const key = hash * 2 + (record.direction === "clientToServer" ? 0 : 1);
    if (!byKey.has(key)) byKey.set(key, record.tUs);
  }
  const upstream: number[] = [];
  const downstream: number[] = [];
  for (const record of server) {
    const hash = record.payloadHash ?? (record.payload !== undefined ? payloadHash(record.payload) : Number.NaN);
    const key = hash * 2 + (record.direction === "clientToServer" ? 0 : 1);
    const clientUs = byKey.get(key);
    if (clientUs !== undefined) (record.direction === "clientToServer" ? upstream : downstream).push(record.tUs - clientUs);
  }
  // The midpoint of the per-direction medians (offset + delay, offset − delay) is used, so the senders'
  // sightings precede the receivers' in the merged order by about the one-way delay.
  if (upstream.length === 0 && downstream.length === 0) return { upstreamUs: 0, downstreamUs: 0 };
  if (upstream.length === 0) return { upstreamUs: median(downstream), downstreamUs: median(downstream) };
  if (downstream.length === 0) return { upstreamUs: median(upstream), downstreamUs: median(upstream) };
  return { upstreamUs: median(upstream), downstreamUs: median(downstream) };
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[values.length >> 1];
}

/** Linear clock model: server clock − client clock = offsetUs + driftPpm·1e-6·(clientUs − referenceUs). */
export interface ClockModel {
  /** Client time the model is anchored at, µs. */
  referenceUs: number;
  /** Offset server − client at `referenceUs`, µs. */
  offsetUs: number;
  /** Drift of the server clock relative to the client clock, parts per million. */
  driftPpm: number;
}

/** Options of {@link OneWayDelayEstimator}. */
export interface OneWayDelayEstimatorOptions {
  /** Segment length for minimum-delay filtering, µs. Default 2,000,000. */
  segmentUs?: number;
  /**
   * Known asymmetry of the minimum delays (c2s − s2c), ms. Default 0: as NTP,
   * the minimum delays are assumed equal (the split is otherwise unobservable).
   */
  asymmetryMs?: number;
}

/** One-way delay per direction, after clock correction. */
export interface OneWayDelayReport {
  clock: ClockModel;
  clientToServer: LatencyPercentiles & { mean: number; min: number };
  serverToClient: LatencyPercentiles & { mean: number; min: number };
}

/**
 * Clock offset and drift from matched pairs, NTP-style: per direction, the
 * minimum of `Δ = receive − send` over each segment (minimum-delay filtering),
 * then the lower-envelope line (the supporting line of the lower convex hull
 * at the mean time, which minimizes the total gap above the line); the offset
 * is half the difference of the two envelopes (symmetric minimum delays).
 * Memory: one entry per segment. Feed pairs with `add`, call `fit`, then
 * `oneWayDelayMs` / `measure` per pair (second pass).
 */
export class OneWayDelayEstimator {
  private readonly segmentUs: number;
  private readonly asymmetryUs: number;
  private referenceUs = Number.NaN;
  private readonly minima = new Map<number, [number, number, number, number]>();
  private model: ClockModel | undefined;
  private readonly sketches: Record<Direction, QuantileSketch> = {
    clientToServer: new QuantileSketch(),
    serverToClient: new QuantileSketch(),
  };

  constructor(options: OneWayDelayEstimatorOptions = {}) {
    this.segmentUs = options.segmentUs ?? 2_000_000;
    this.asymmetryUs = (options.asymmetryMs ?? 0) * 1000;
  }

  /** First pass: one matched pair. */
  add(pair: MatchedPair): void {
    if (Number.isNaN(this.referenceUs)) this.referenceUs = pair.clientUs;
    const t = pair.clientUs - this.referenceUs;
    const segment = Math.floor(t / this.segmentUs);
    let entry = this.minima.get(segment);
    if (entry === undefined) {
      entry = [Infinity, 0, Infinity, 0];
      this.minima.set(segment, entry);
    }
    if (pair.direction === "clientToServer") {
      const delta = pair.serverUs - pair.clientUs;
      if (delta < entry[0]) {
        entry[0] = delta;
        entry[1] = t;
      }
    } else {
      const delta = pair.clientUs - pair.serverUs;
      if (delta < entry[2]) {
        entry[2] = delta;
        entry[3] = t;
      }
    }
  }

  /** Fits the clock model; null when a direction has no pair. */
  fit(): ClockModel | null {
    const upstream: [number, number][] = [];
    const downstream: [number, number][] = [];
    for (const segment of [...this.minima.keys()].sort((a, b) => a - b)) {
      const entry = this.minima.get(segment)!;
      if (entry[0] !== Infinity) upstream.push([entry[1], entry[0]]);
      if (entry[2] !== Infinity) downstream.push([entry[3], entry[2]]);
    }
    if (upstream.length === 0 || downstream.length === 0) return null;
    const up = lowerEnvelope(upstream);
    const down = lowerEnvelope(downstream);
    // up(t) = minC2S + θ(t); down(t) = minS2C − θ(t); minC2S − minS2C = asymmetry.
    const offsetUs = (up.intercept - down.intercept - this.asymmetryUs) / 2;
    const slope = (up.slope - down.slope) / 2;
    this.model = { referenceUs: this.referenceUs, offsetUs, driftPpm: slope * 1e6 };
    return this.model;
  }

  /** Server − client clock offset at client time `clientUs`, µs (after `fit`). */
  offsetAtUs(clientUs: number): number {
    const model = this.requireModel();
    return model.offsetUs + (model.driftPpm / 1e6) * (clientUs - model.referenceUs);
  }

  /** One-way delay of a matched pair in ms, clock-corrected (after `fit`). */
  oneWayDelayMs(pair: MatchedPair): number {
    const offset = this.offsetAtUs(pair.clientUs);
    const delay = pair.direction === "clientToServer" ? pair.serverUs - offset - pair.clientUs : pair.clientUs - (pair.serverUs - offset);
    return delay / 1000;
  }

  /** Second pass: adds a pair's one-way delay to the per-direction distribution. */
  measure(pair: MatchedPair): number {
    const delayMs = this.oneWayDelayMs(pair);
    this.sketches[pair.direction].add(delayMs);
    return delayMs;
  }

  /** Per-direction one-way delay report (after `fit` and `measure`). */
  report(): OneWayDelayReport {
    const model = this.requireModel();
    const summarize = (sketch: QuantileSketch): LatencyPercentiles & { mean: number; min: number } =>
      sketch.count === 0
        ? { samples: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0, min: 0 }
        : {
            samples: sketch.count,
            p50: round3(sketch.quantile(0.5)),
            p95: round3(sketch.quantile(0.95)),
            p99: round3(sketch.quantile(0.99)),
            max: round3(sketch.max),
            mean: round3(sketch.mean),
            min: round3(sketch.min),
          };
    return {
      clock: { referenceUs: model.referenceUs, offsetUs: round3(model.offsetUs), driftPpm: round3(model.driftPpm) },
      clientToServer: summarize(this.sketches.clientToServer),
      serverToClient: summarize(this.sketches.serverToClient),
    };
  }

  private requireModel(): ClockModel {
    if (this.model === undefined) throw new Error("OneWayDelayEstimator: call fit() first");
    return this.model;
  }
}

/**
 * The line under all points that minimizes the total distance to them: the
 * supporting line of the lower convex hull at the mean abscissa.
 */
export function lowerEnvelope(points: readonly (readonly [number, number])[]): { intercept: number; slope: number } {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const hull: (readonly [number, number])[] = [];
  for (const point of sorted) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2];
      const b = hull[hull.length - 1];
      const cross = (b[0] - a[0]) * (point[1] - a[1]) - (b[1] - a[1]) * (point[0] - a[0]);
      if (cross <= 0) hull.pop();
      else break;
    }
    hull.push(point);
  }
  if (hull.length === 1) return { intercept: hull[0][1], slope: 0 };
  let meanT = 0;
  for (const point of sorted) meanT += point[0];
  meanT /= sorted.length;
  let edge = hull.length - 2;
  for (let index = 0; index < hull.length - 1; index++) {
    if (hull[index + 1][0] >= meanT) {
      edge = index;
      break;
    }
  }
  const a = hull[edge];
  const b = hull[edge + 1];
  const slope = (b[1] - a[1]) / (b[0] - a[0]);
  return { intercept: a[1] - slope * a[0], slope };
}
