import type { EntityRoles, MessageRoles, Vector3 } from "@tickscope/core";
import { LogHistogram } from "./histogram.js";

/** Largest interpolation buffer (in snapshots) evaluated. */
export const MAX_BUFFER_SNAPSHOTS = 8;
const NOMINAL_SAMPLE = 32;
/** Correction jumps are recorded in thousandths of a game unit (histogram resolution). */
const JUMP_SCALE = 1000;

interface EntityState {
  x: number;
  y: number;
  z: number;
  vx: number;
  vy: number;
  vz: number;
  hasVelocity: boolean;
  tUs: number;
}

/** Entity ids below this (non-negative integers) are looked up in an array instead of a map. */
const DENSE_ENTITY_IDS = 4096;

/**
 * Effect of loss on unreliable state (snapshots) of one sequence space:
 * update intervals (stale-state durations), how often they exceed the
 * interpolation delay, interpolation-buffer coverage replayed on the observed
 * intervals, and the correction jump of entity positions at the next update
 * after a loss (rubber-banding), against the baseline jump without loss.
 * Prediction for the jump: last position + velocity × elapsed (velocity in
 * game units per second), or last position when no velocity role exists.
 */
export class StateSyncTracker {
  /** Update (datagram) intervals, µs. */
  readonly intervalsUs = new LogHistogram();
  /** Intervals that ended a loss gap, µs. */
  readonly staleAfterLossUs = new LogHistogram();
  /** Correction jumps after a loss, thousandths of a game unit. */
  readonly jumpAfterLoss = new LogHistogram();
  /** Correction jumps without loss, thousandths of a game unit. */
  readonly jumpBaseline = new LogHistogram();
  /** Intervals longer than the interpolation delay. */
  exceeds = 0;
  /** State updates (datagrams). */
  updates = 0;
  /** Entities dropped because of the entity limit. */
  entitiesDropped = 0;
  private readonly bufferCovered = new Float64Array(MAX_BUFFER_SNAPSHOTS + 1);
  private readonly sample: number[] = [];
  private nominalUs = 0;
  private lastUpdateUs = Number.NaN;
  private lastPacketIndex = -1;
  /** Entities by id: small non-negative integer ids in an array, the others in a map. */
  private readonly denseEntities: (EntityState | undefined)[] = [];
  private readonly sparseEntities = new Map<number, EntityState>();
  private entityCount = 0;

  constructor(
    private readonly interpolationDelayUs: number,
    private readonly maxEntities: number,
  ) {}

  /** Nominal update interval (median of the first intervals), µs; 0 when unknown. */
  get nominalIntervalUs(): number {
    if (this.nominalUs === 0 && this.sample.length > 0) return median(this.sample);
    return this.nominalUs;
  }

  /** Forgets the previous update (a sequence reset: the interval across it is not staleness). */
  onReset(): void {
    this.lastUpdateUs = Number.NaN;
  }

  /** One state datagram arrived as the new highest sequence, after `skipped` lost ones. */
  onUpdate(tUs: number, packetIndex: number, skipped: number): void {
    if (packetIndex === this.lastPacketIndex) return;
    this.lastPacketIndex = packetIndex;
    this.updates += 1;
    const previous = this.lastUpdateUs;
    this.lastUpdateUs = tUs;
    if (Number.isNaN(previous)) return;
    const intervalUs = tUs - previous;
    this.intervalsUs.add(intervalUs);
    if (skipped > 0) this.staleAfterLossUs.add(intervalUs);
    if (intervalUs > this.interpolationDelayUs) this.exceeds += 1;
    if (this.nominalUs > 0) {
      this.countBuffers(intervalUs);
      return;
    }
    this.sample.push(intervalUs);
    if (this.sample.length === NOMINAL_SAMPLE) {
      this.nominalUs = median(this.sample);
      for (const interval of this.sample) this.countBuffers(interval);
      this.sample.length = 0;
    }
  }

  private countBuffers(intervalUs: number): void {
    for (let snapshots = 1; snapshots <= MAX_BUFFER_SNAPSHOTS; snapshots++) {
      if (intervalUs <= (snapshots + 0.5) * this.nominalUs) this.bufferCovered[snapshots]! += 1;
    }
  }

  /**
   * Share of update intervals an interpolation buffer of `snapshots` snapshots
   * rides out (interval ≤ (snapshots + ½) × nominal interval), replayed on the
   * observed intervals. NaN when fewer than 32 intervals were seen.
   */
  bufferCoverage(snapshots: number): number {
    const counted = this.intervalsUs.count;
    if (this.nominalUs === 0 || counted === 0) return Number.NaN;
    return this.bufferCovered[snapshots]! / counted;
  }

  /** Updates entity positions from a state message, measuring the correction jump. */
  onEntities(roles: MessageRoles, tUs: number, skipped: number): void {
    const jumps = skipped > 0 ? this.jumpAfterLoss : this.jumpBaseline;
    const position = roles.position;
    if (position !== undefined) {
      const id = roles.entityId ?? roles.playerId ?? -1;
      this.updateEntity(id, position, roles.velocity, tUs, jumps);
    }
    const entities = roles.entities;
    if (entities === undefined) return;
    for (let index = 0; index < entities.length; index++) {
      const entity: EntityRoles = entities[index]!;
      const entityPosition = entity.position;
      if (entityPosition !== undefined) this.updateEntity(entity.entityId, entityPosition, entity.velocity, tUs, jumps);
    }
  }

  /** The state of entity `id`, creating it within the entity limit (undefined when the limit is reached). */
  private entity(id: number, tUs: number): EntityState | undefined {
    const dense = id >= 0 && id < DENSE_ENTITY_IDS && (id | 0) === id;
    let state = dense ? this.denseEntities[id] : this.sparseEntities.get(id);
    if (state !== undefined) return state;
    if (this.entityCount >= this.maxEntities) {
      this.entitiesDropped += 1;
      return undefined;
    }
    this.entityCount += 1;
    state = { x: 0, y: 0, z: 0, vx: 0, vy: 0, vz: 0, hasVelocity: false, tUs };
    if (dense) {
      while (this.denseEntities.length < id) this.denseEntities.push(undefined);
      this.denseEntities[id] = state;
    } else {
      this.sparseEntities.set(id, state);
    }
    return state;
  }

  private updateEntity(id: number, position: Vector3, velocity: Vector3 | undefined, tUs: number, jumps: LogHistogram): void {
    const state = this.entity(id, tUs);
    if (state === undefined) return;
    // A new entity has state.tUs = tUs: no previous position, no jump.
    if (tUs > state.tUs) {
      const elapsedSeconds = state.hasVelocity ? (tUs - state.tUs) / 1e6 : 0;
      const dx = position.x - (state.x + state.vx * elapsedSeconds);
      const dy = position.y - (state.y + state.vy * elapsedSeconds);
      const dz = position.z - (state.z + state.vz * elapsedSeconds);
      jumps.add(Math.sqrt(dx * dx + dy * dy + dz * dz) * JUMP_SCALE);
    }
    state.x = position.x;
    state.y = position.y;
    state.z = position.z;
    if (velocity === undefined) {
      state.hasVelocity = false;
      state.vx = 0;
      state.vy = 0;
      state.vz = 0;
    } else {
      state.hasVelocity = true;
      state.vx = velocity.x ?? 0;
      state.vy = velocity.y ?? 0;
      state.vz = velocity.z ?? 0;
    }
    state.tUs = tUs;
  }

  /** Scale to turn recorded jumps back into game units. */
  static readonly jumpScale = 1 / JUMP_SCALE;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
