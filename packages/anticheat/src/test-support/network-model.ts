import type { Random } from "./random.js";

/** A stall of a path: packets sent inside it are held until its end (buffered) or lost. */
export interface Stall {
  startUs: number;
  endUs: number;
  buffered: boolean;
}

/** Parameters of one direction of a player's path. */
export interface PathParameters {
  baseMs: number;
  jitterMeanMs: number;
  spikeProbability: number;
  spikeMs: [number, number];
  lossProbability: number;
  /** Gilbert–Elliott: probability good → bad, bad → good, loss in bad. */
  burst?: { enter: number; leave: number; lossInBad: number };
  driftAmplitudeMs: number;
  driftPeriodS: number;
  duplicateProbability: number;
  stalls: Stall[];
}

/** One direction of a simulated network path (delay, jitter, spikes, loss, bursts, stalls, duplicates). */
export class PathModel {
  private bad = false;
  private lastStall: Stall | undefined;
  private stallQueue = 0;
  private lastArrivalUs = 0;
  /** Arrival time of a duplicate of the last packet, or NaN. */
  duplicateArrivalUs = Number.NaN;

  constructor(
    private readonly random: Random,
    readonly parameters: PathParameters,
  ) {}

  /**
   * Arrival time of a packet sent at `sendUs`, NaN when lost. Calls come in
   * send order; a packet the sender holds back (`heldBack`: it enters the path
   * later than packets transmitted after it) skips the first-in first-out
   * clamp, so it does not drag the packets sent meanwhile behind it.
   */
  transmit(sendUs: number, heldBack = false): number {
    const p = this.parameters;
    this.duplicateArrivalUs = Number.NaN;
    let departUs = sendUs;
    for (const stall of p.stalls) {
      if (sendUs >= stall.startUs && sendUs < stall.endUs) {
        if (!stall.buffered) return Number.NaN;
        if (stall !== this.lastStall) {
          this.lastStall = stall;
          this.stallQueue = 0;
        }
        departUs = stall.endUs + this.stallQueue * 150;
        this.stallQueue += 1;
        break;
      }
    }
    if (p.burst !== undefined) {
      this.bad = this.bad ? !this.random.chance(p.burst.leave) : this.random.chance(p.burst.enter);
      if (this.bad && this.random.chance(p.burst.lossInBad)) return Number.NaN;
    }
    if (this.random.chance(p.lossProbability)) return Number.NaN;
    let delayMs = p.baseMs + this.random.exponential(p.jitterMeanMs);
    if (p.driftAmplitudeMs > 0) delayMs += p.driftAmplitudeMs * (1 + Math.sin((2 * Math.PI * sendUs) / (p.driftPeriodS * 1e6)));
    if (this.random.chance(p.spikeProbability)) delayMs += this.random.uniform(p.spikeMs[0], p.spikeMs[1]);
    let arrivalUs = departUs + delayMs * 1000;
    // Packets share the path's queues: mostly first-in first-out, rarely reordered.
    if (!heldBack) {
      if (arrivalUs < this.lastArrivalUs + 20) arrivalUs = this.lastArrivalUs + 20;
      this.lastArrivalUs = arrivalUs;
    }
    // A rare packet takes another route and is overtaken by the next ones (small reordering).
    if (this.random.chance(0.001)) arrivalUs += this.random.uniform(1_000, 30_000);
    if (this.random.chance(p.duplicateProbability)) this.duplicateArrivalUs = arrivalUs + this.random.uniform(200, 20_000);
    return arrivalUs;
  }
}

/** Network profiles of the evaluation (honest players on the bad ones must stay clean). */
export const NETWORK_PROFILES = ["good", "heavyJitter", "lossBursts", "fourG", "wifiCongested", "outage"] as const;

/** One network profile name. */
export type NetworkProfileName = (typeof NETWORK_PROFILES)[number];

/**
 * Builds both directions of a player's path for a profile. Two-way stalls
 * (4G handovers, Wi-Fi contention) buffer both directions; outages lose
 * everything in both directions; loss bursts are independent per direction.
 */
export function createPaths(
  random: Random,
  profile: NetworkProfileName,
  startUs: number,
  durationUs: number,
): { uplink: PathModel; downlink: PathModel } {
  const shared: Stall[] = [];
  const base = (low: number, high: number) => random.uniform(low, high);
  const common = (baseMs: number): PathParameters => ({
    baseMs,
    jitterMeanMs: 1.5,
    spikeProbability: 0,
    spikeMs: [0, 0],
    lossProbability: 0.001,
    driftAmplitudeMs: 0,
    driftPeriodS: 30,
    duplicateProbability: 0.0005,
    stalls: shared,
  });
  let up: PathParameters;
  let down: PathParameters;
  switch (profile) {
    case "good": {
      up = common(base(8, 35));
      down = common(up.baseMs + random.uniform(-3, 3));
      break;
    }
    case "heavyJitter": {
      const jitter = (): Partial<PathParameters> => ({ jitterMeanMs: random.uniform(20, 35), spikeProbability: 0.01, spikeMs: [80, 250], lossProbability: 0.01 });
      up = { ...common(base(25, 60)), ...jitter() };
      down = { ...common(up.baseMs), ...jitter() };
      break;
    }
    case "lossBursts": {
      const burst = { enter: 0.004, leave: 0.12, lossInBad: 0.9 };
      up = { ...common(base(15, 50)), jitterMeanMs: 4, burst };
      down = { ...common(up.baseMs), jitterMeanMs: 4, burst };
      for (let count = random.integer(1, 2); count > 0; count--) {
        const at = startUs + random.uniform(0.1, 0.9) * durationUs;
        (random.chance(0.5) ? up : down).stalls = [...shared, { startUs: at, endUs: at + random.uniform(300_000, 1_500_000), buffered: false }];
      }
      break;
    }
    case "fourG": {
      const mobile = (): Partial<PathParameters> => ({
        jitterMeanMs: random.uniform(8, 15),
        driftAmplitudeMs: random.uniform(5, 20),
        driftPeriodS: random.uniform(20, 60),
        lossProbability: 0.005,
        spikeProbability: 0.005,
        spikeMs: [50, 200],
      });
      up = { ...common(base(30, 60)), ...mobile() };
      down = { ...common(up.baseMs - 10), ...mobile() };
      for (let at = startUs + random.uniform(5, 15) * 1e6; at < startUs + durationUs; at += random.uniform(8, 20) * 1e6) {
        shared.push({ startUs: at, endUs: at + random.uniform(100_000, 800_000), buffered: random.chance(0.7) });
      }
      break;
    }
    case "wifiCongested": {
      const wifi = (): Partial<PathParameters> => ({
        jitterMeanMs: random.uniform(8, 18),
        spikeProbability: 0.02,
        spikeMs: [30, 150],
        burst: { enter: 0.003, leave: 0.3, lossInBad: 0.7 },
        lossProbability: 0.005,
      });
      up = { ...common(base(5, 25)), ...wifi() };
      down = { ...common(up.baseMs), ...wifi() };
      for (let at = startUs + random.uniform(1, 6) * 1e6; at < startUs + durationUs; at += random.uniform(2, 8) * 1e6) {
        shared.push({ startUs: at, endUs: at + random.uniform(50_000, 400_000), buffered: true });
      }
      break;
    }
    case "outage": {
      up = { ...common(base(10, 40)), jitterMeanMs: 3 };
      down = { ...common(up.baseMs), jitterMeanMs: 3 };
      for (let count = random.integer(1, 2); count > 0; count--) {
        const at = startUs + random.uniform(0.1, 0.85) * durationUs;
        shared.push({ startUs: at, endUs: at + random.uniform(1_000_000, 5_000_000), buffered: false });
      }
      break;
    }
  }
  return { uplink: new PathModel(random, up), downlink: new PathModel(random, down) };
}
