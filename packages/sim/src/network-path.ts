import type { Direction } from "@tickscope/core";
import { sampleJitterMs, type JitterDistribution } from "./distributions.js";
import { GilbertElliottLoss, type GilbertElliottParameters } from "./gilbert-elliott.js";
import { propagationDelayMs, QUEUE_SLOT_BYTES, type NetworkProfile } from "./profiles.js";
import type { Xoshiro128 } from "./random.js";

/**
 * Random one-way delay: a fixed part (propagation) plus access delay and
 * jitter, the access+jitter part clamped at zero. Exported so tests and
 * analyses can drive it directly.
 */
export class DelayModel {
  /** Fixed (propagation) delay, ms. */
  readonly fixedMs: number;
  /** Access delay, ms. */
  readonly accessDelayMs: number;
  /** Jitter scale, ms. */
  readonly jitterMs: number;
  /** Jitter distribution. */
  readonly distribution: JitterDistribution;
  private readonly random: Xoshiro128;

  /** Creates the model drawing from `random`. */
  constructor(parameters: { fixedMs: number; accessDelayMs: number; jitterMs: number; distribution: JitterDistribution }, random: Xoshiro128) {
    this.fixedMs = parameters.fixedMs;
    this.accessDelayMs = parameters.accessDelayMs;
    this.jitterMs = parameters.jitterMs;
    this.distribution = parameters.distribution;
    this.random = random;
  }

  /** One delay sample, ms. */
  sampleMs(): number {
    const variable = this.accessDelayMs + sampleJitterMs(this.random, this.distribution, this.jitterMs);
    return this.fixedMs + (variable > 0 ? variable : 0);
  }
}

/**
 * A FIFO bottleneck link with a byte-limited tail-drop queue. `enqueue`
 * returns the time the packet has been fully serialized, or −1 when the
 * queue is full. Cross traffic can be injected as a capacity share.
 */
export class BottleneckLink {
  /** Link capacity, bits per second. */
  readonly bitsPerSecond: number;
  /** Queue limit, bytes. */
  readonly queueLimitBytes: number;
  private freeAtUs = -Infinity;

  /** Creates an idle link. */
  constructor(bitsPerSecond: number, queueLimitBytes: number) {
    this.bitsPerSecond = bitsPerSecond;
    this.queueLimitBytes = queueLimitBytes;
  }

  /** Bytes waiting in the queue at `tUs` (at full capacity). */
  backlogBytes(tUs: number): number {
    return this.freeAtUs > tUs ? ((this.freeAtUs - tUs) * this.bitsPerSecond) / 8e6 : 0;
  }

  /**
   * Serializes `bytes` arriving at `tUs`; `crossTrafficShare` (0…0.95) of the
   * capacity is used by other traffic. Returns the departure time, or −1 if dropped.
   */
  enqueue(tUs: number, bytes: number, crossTrafficShare = 0): number {
    const capacity = this.bitsPerSecond * (1 - crossTrafficShare);
    const backlogUs = this.freeAtUs > tUs ? this.freeAtUs - tUs : 0;
    if ((backlogUs * capacity) / 8e6 + bytes > this.queueLimitBytes && backlogUs > 0) return -1;
    const startUs = backlogUs > 0 ? this.freeAtUs : tUs;
    this.freeAtUs = startUs + (bytes * 8e6) / capacity;
    return this.freeAtUs;
  }

  /**
   * Departure time of `bytes` entering at `tUs` without occupying the link: a datagram the
   * application holds back to a later time than datagrams it sends meanwhile (those are
   * serialized first; the held one's own serialization time is negligible next to the hold).
   */
  departureWithoutQueueing(tUs: number, bytes: number, crossTrafficShare = 0): number {
    const capacity = this.bitsPerSecond * (1 - crossTrafficShare);
    return Math.max(tUs, this.freeAtUs) + (bytes * 8e6) / capacity;
  }
}

/** Kinds of scheduled network events. */
export type NetworkEventKind = "latencySpike" | "outage" | "routeChange" | "crossTraffic" | "lossBurst";

/**
 * A scheduled network event, resolved to absolute times and to the paths it
 * hits (a shared-path event hits many players at once).
 */
export interface ResolvedNetworkEvent {
  /** Event id (index in the truth's `networkEvents`). */
  id: number;
  /** Kind. */
  kind: NetworkEventKind;
  /** Start, µs since the epoch. */
  startUs: number;
  /** End, µs since the epoch (Infinity for a permanent route change). */
  endUs: number;
  /** Extra one-way delay (latencySpike, routeChange), ms. */
  extraDelayMs: number;
  /** Competing traffic (crossTraffic), bits per second. */
  bitsPerSecond: number;
  /** Loss probability while active (lossBurst). */
  lossProbability: number;
  /** Directions affected. */
  directions: readonly Direction[];
}

/** Why a packet did not arrive. */
export type LossCause = "random" | "queue" | "outage" | "burst";

/** Result of {@link NetworkPath.transmit}, reused between calls (copy what you keep). */
export interface TransmitResult {
  /** Arrival time, µs (NaN when lost). */
  arrivalUs: number;
  /** Loss cause, or null when delivered. */
  lost: LossCause | null;
  /** Queueing + serialization delay at the bottleneck, µs. */
  queueDelayUs: number;
  /** Arrival time of a duplicate copy, µs (NaN when none). */
  duplicateArrivalUs: number;
  /** True when the packet was held back to arrive out of order. */
  reordered: boolean;
  /** Id of the first network event that affected the packet, or −1. */
  eventId: number;
}

/** Per-path model parameters as recorded in the truth. */
export interface PathParameters {
  /** Direction of the path. */
  direction: Direction;
  /** Great-circle distance, km. */
  distanceKm: number;
  /** Route stretch. */
  routeStretch: number;
  /** Propagation delay, ms. */
  propagationDelayMs: number;
  /** Access delay, ms. */
  accessDelayMs: number;
  /** Base one-way delay (propagation + access), ms. */
  baseDelayMs: number;
  /** Jitter scale, ms. */
  jitterMs: number;
  /** Jitter distribution. */
  jitterDistribution: JitterDistribution;
  /** Gilbert–Elliott parameters. */
  loss: GilbertElliottParameters;
  /** Reorder probability. */
  reorderProbability: number;
  /** Reorder extra delay, ms. */
  reorderDelayMs: number;
  /** Duplicate probability. */
  duplicateProbability: number;
  /** Bottleneck capacity, bits per second. */
  bitsPerSecond: number;
  /** Bottleneck queue limit, bytes. */
  queueLimitBytes: number;
}

/** Computes a path's parameters from a profile, a distance and a direction. */
export function pathParameters(profile: NetworkProfile, distanceKm: number, direction: Direction): PathParameters {
  const propagation = propagationDelayMs(distanceKm, profile.routeStretch);
  return {
    direction,
    distanceKm,
    routeStretch: profile.routeStretch,
    propagationDelayMs: propagation,
    accessDelayMs: profile.accessDelayMs,
    baseDelayMs: propagation + profile.accessDelayMs,
    jitterMs: profile.jitterMs,
    jitterDistribution: profile.jitterDistribution,
    loss: { ...profile.loss },
    reorderProbability: profile.reorderProbability,
    reorderDelayMs: profile.reorderDelayMs,
    duplicateProbability: profile.duplicateProbability,
    bitsPerSecond: direction === "clientToServer" ? profile.uplinkBitsPerSecond : profile.downlinkBitsPerSecond,
    queueLimitBytes: profile.queueLimitPackets * QUEUE_SLOT_BYTES,
  };
}

/**
 * One direction of one player's path: bottleneck queue, then propagation +
 * access + jitter (order kept FIFO except for explicitly reordered packets),
 * Gilbert–Elliott loss, duplication and the scheduled events that hit it.
 */
export class NetworkPath {
  /** The path parameters. */
  readonly parameters: PathParameters;
  private readonly delay: DelayModel;
  private readonly loss: GilbertElliottLoss;
  private readonly link: BottleneckLink;
  private readonly random: Xoshiro128;
  private readonly events: ResolvedNetworkEvent[];
  private lastArrivalUs = -Infinity;

  /** Creates the path; `events` are those that may hit it. */
  constructor(parameters: PathParameters, random: Xoshiro128, events: readonly ResolvedNetworkEvent[] = []) {
    this.parameters = parameters;
    this.random = random;
    this.delay = new DelayModel(
      { fixedMs: parameters.propagationDelayMs, accessDelayMs: parameters.accessDelayMs, jitterMs: parameters.jitterMs, distribution: parameters.jitterDistribution },
      random,
    );
    this.loss = new GilbertElliottLoss(parameters.loss, random);
    this.link = new BottleneckLink(parameters.bitsPerSecond, parameters.queueLimitBytes);
    this.events = events.filter((event) => event.directions.includes(parameters.direction));
  }

  /**
   * Sends a frame of `wireBytes` at `sendUs` and fills `result`. `heldBack`: the application
   * scheduled this datagram ahead of time (`sendUs` is later than datagrams it sends before
   * then), so it neither occupies the bottleneck nor holds later-sent datagrams behind it (no
   * FIFO order against them); without it, a datagram held 300 ms would delay every datagram
   * sent during the hold.
   */
  transmit(sendUs: number, wireBytes: number, result: TransmitResult, heldBack = false): void {
    result.queueDelayUs = 0;
    result.duplicateArrivalUs = NaN;
    result.reordered = false;
    result.eventId = -1;
    let extraDelayMs = 0;
    let crossShare = 0;
    let forcedLoss: LossCause | null = null;
    for (let index = 0; index < this.events.length; index++) {
      const event = this.events[index];
      if (sendUs < event.startUs || sendUs >= event.endUs) continue;
      if (result.eventId < 0) result.eventId = event.id;
      switch (event.kind) {
        case "latencySpike":
        case "routeChange":
          extraDelayMs += event.extraDelayMs;
          break;
        case "crossTraffic":
          crossShare = Math.min(0.95, crossShare + event.bitsPerSecond / this.parameters.bitsPerSecond);
          break;
        case "outage":
          forcedLoss = "outage";
          break;
        case "lossBurst":
          if (forcedLoss === null && this.random.next() < event.lossProbability) forcedLoss = "burst";
          break;
      }
    }
    const randomLoss = this.loss.nextLost();
    if (forcedLoss !== null || randomLoss) {
      result.arrivalUs = NaN;
      result.lost = forcedLoss ?? "random";
      return;
    }
    const departureUs = heldBack ? this.link.departureWithoutQueueing(sendUs, wireBytes, crossShare) : this.link.enqueue(sendUs, wireBytes, crossShare);
    if (departureUs < 0) {
      result.arrivalUs = NaN;
      result.lost = "queue";
      return;
    }
    // Cross traffic keeps a standing queue in front of us (bufferbloat).
    const standingUs = crossShare > 0 ? ((crossShare * this.parameters.queueLimitBytes * 8e6) / this.parameters.bitsPerSecond) * 0.5 : 0;
    result.queueDelayUs = departureUs - sendUs + standingUs;
    let arrivalUs = departureUs + standingUs + (this.delay.sampleMs() + extraDelayMs) * 1000;
    if (this.parameters.reorderProbability > 0 && this.random.next() < this.parameters.reorderProbability) {
      arrivalUs += this.parameters.reorderDelayMs * 1000;
      result.reordered = true;
    } else if (heldBack) {
      result.reordered = true;
    } else {
      if (arrivalUs <= this.lastArrivalUs) arrivalUs = this.lastArrivalUs + 1;
      this.lastArrivalUs = arrivalUs;
    }
    result.arrivalUs = arrivalUs;
    result.lost = null;
    if (this.parameters.duplicateProbability > 0 && this.random.next() < this.parameters.duplicateProbability) {
      result.duplicateArrivalUs = arrivalUs + 20 + this.random.next() * 500;
    }
  }
}

/** Creates an empty {@link TransmitResult}. */
export function createTransmitResult(): TransmitResult {
  return { arrivalUs: NaN, lost: null, queueDelayUs: 0, duplicateArrivalUs: NaN, reordered: false, eventId: -1 };
}
