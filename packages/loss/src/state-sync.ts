import type { EntityRoles, MessageRoles, Vector3 } from "@tickscope/core";
import { LogHistogram, type LogHistogramState } from "./histogram.js";
import { HistogramBatch } from "./histogram-batch.js";
import { decodeFloat, encodeFloat, type EncodedFloat } from "./state-encoding.js";

/** Saved state of a {@link StateSyncTracker}. */
export interface StateSyncState {
  intervalsUs: LogHistogramState;
  staleAfterLossUs: LogHistogramState;
  jumpAfterLoss: LogHistogramState;
  jumpBaseline: LogHistogramState;
  exceeds: number;
  updates: number;
  entitiesDropped: number;
  bufferCovered: number[];
  sample: number[];
  nominalUs: number;
  lastUpdateUs: EncodedFloat;
  /** Entities as `[id, x, y, z, vx, vy, vz, hasVelocity (0/1), tUs]` (floats encoded). */
  entities: EncodedFloat[][];
  /** The pass's first update (the interval before it belongs to the pass before). */
  firstUpdate: { tUs: number; packetIndex: number } | null;
  /** Each entity's first position in the pass, `[id, x, y, z, tUs, afterLoss (0/1)]` (its correction jump needs the pass before). */
  firstEntities: EncodedFloat[][];
  /** Update intervals near a coverage threshold (within 0.1 nominal intervals of one), µs. */
  nearThresholdUs: number[];
  /** True when more intervals than kept were near a threshold. */
  nearThresholdOverflow: boolean;
}

/** Largest interpolation buffer (in snapshots) evaluated. */
export const MAX_BUFFER_SNAPSHOTS = 8;
const NOMINAL_SAMPLE = 32;
/** Intervals within this share of the nominal interval of a coverage threshold are kept exactly. */
const NEAR_THRESHOLD_BAND = 0.1;
/** Most intervals kept near the thresholds. */
const MAX_NEAR_THRESHOLD = 4096;
/** Correction jumps are recorded in thousandths of a game unit (histogram resolution). */
const JUMP_SCALE = 1000;
/** Targets of a tracker's histogram batch: intervals, stale intervals, jumps without loss, jumps after loss (`TARGET_BASELINE_JUMP + 1`). */
const TARGET_INTERVAL = 0;
const TARGET_STALE = 1;
const TARGET_BASELINE_JUMP = 2;

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

/** Entity ids below this (non-negative integers) are kept in columns indexed by id instead of a map. */
const DENSE_ENTITY_IDS = 4096;
/** Flags of a dense entity: present, and whether its last update carried a velocity. */
const DENSE_PRESENT = 1;
const DENSE_VELOCITY = 2;
/**
 * A dense entity's fields in its row of {@link StateSyncTracker}'s entity
 * table: position, velocity (game units per second), time of the last update
 * (µs) and flags. Eight doubles per row: one cache line holds an entity.
 */
const FIELD_X = 0;
const FIELD_Y = 1;
const FIELD_Z = 2;
const FIELD_VX = 3;
const FIELD_VY = 4;
const FIELD_VZ = 5;
const FIELD_TIME_US = 6;
const FIELD_FLAGS = 7;
/** Doubles per row (log2: row of id `i` begins at `i << ROW_SHIFT`). */
const ROW_SHIFT = 3;

function isDenseId(id: number): boolean {
  return id >= 0 && id < DENSE_ENTITY_IDS && (id | 0) === id;
}

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
  private readonly intervalHistogram = new LogHistogram();
  private readonly staleHistogram = new LogHistogram();
  private readonly baselineJumps = new LogHistogram();
  private readonly afterLossJumps = new LogHistogram();
  /** Values bound for the four histograms (by `TARGET_…`), added in batches in the order they were measured. */
  private readonly batch = new HistogramBatch([this.intervalHistogram, this.staleHistogram, this.baselineJumps, this.afterLossJumps]);

  /** Update (datagram) intervals, µs. */
  get intervalsUs(): LogHistogram {
    this.batch.flush();
    return this.intervalHistogram;
  }

  /** Intervals that ended a loss gap, µs. */
  get staleAfterLossUs(): LogHistogram {
    this.batch.flush();
    return this.staleHistogram;
  }

  /** Correction jumps after a loss, thousandths of a game unit. */
  get jumpAfterLoss(): LogHistogram {
    this.batch.flush();
    return this.afterLossJumps;
  }

  /** Correction jumps without loss, thousandths of a game unit. */
  get jumpBaseline(): LogHistogram {
    this.batch.flush();
    return this.baselineJumps;
  }

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
  /**
   * Entities with small non-negative integer ids, as rows of one table indexed
   * by id (eight doubles per entity, see `FIELD_X`…`FIELD_FLAGS`; grown by
   * doubling): no object per entity to chase and one array to bounds-check on
   * the hot path; the others in a map.
   */
  private denseCapacity = 0;
  private dense = new Float64Array(0);
  private readonly sparseEntities = new Map<number, EntityState>();
  private entityCount = 0;
  private readonly nearThresholdUs: number[] = [];
  private nearThresholdOverflow = false;
  /** Set by `entity()` when it created the entity. */
  private created = false;
  private firstUpdate: { tUs: number; packetIndex: number } | null = null;
  private readonly firstEntities: number[][] = [];

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
    if (this.firstUpdate === null) this.firstUpdate = { tUs, packetIndex };
    const previous = this.lastUpdateUs;
    this.lastUpdateUs = tUs;
    if (Number.isNaN(previous)) return;
    const intervalUs = tUs - previous;
    this.batch.add(intervalUs, TARGET_INTERVAL);
    if (skipped > 0) this.batch.add(intervalUs, TARGET_STALE);
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
    // Intervals near a coverage threshold, kept exactly so a merge can recount them against another nominal interval.
    const ratio = intervalUs / this.nominalUs - 0.5;
    const nearest = Math.round(ratio);
    if (nearest >= 1 && nearest <= MAX_BUFFER_SNAPSHOTS && Math.abs(ratio - nearest) <= NEAR_THRESHOLD_BAND) {
      if (this.nearThresholdUs.length < MAX_NEAR_THRESHOLD) this.nearThresholdUs.push(intervalUs);
      else this.nearThresholdOverflow = true;
    }
  }

  /**
   * A later pass's coverage counts recounted against this tracker's nominal
   * interval, from its intervals near the thresholds; undefined when they do
   * not cover the difference (nominal intervals more than the band apart, or
   * too many intervals near the thresholds).
   */
  private recount(state: StateSyncState): number[] | undefined {
    if (this.nominalUs === 0 || state.nominalUs === 0 || state.nearThresholdOverflow) return undefined;
    if (Math.abs(this.nominalUs - state.nominalUs) * (MAX_BUFFER_SNAPSHOTS + 0.5) > NEAR_THRESHOLD_BAND * state.nominalUs) return undefined;
    const counts = [...state.bufferCovered];
    for (let snapshots = 1; snapshots <= MAX_BUFFER_SNAPSHOTS; snapshots++) {
      const theirs = (snapshots + 0.5) * state.nominalUs;
      const mine = (snapshots + 0.5) * this.nominalUs;
      for (const intervalUs of state.nearThresholdUs) {
        if (intervalUs <= mine && !(intervalUs <= theirs)) counts[snapshots]! += 1;
        else if (!(intervalUs <= mine) && intervalUs <= theirs) counts[snapshots]! -= 1;
      }
    }
    return counts;
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
    const afterLoss = skipped > 0 ? 1 : 0;
    const position = roles.position;
    if (position !== undefined) {
      const id = roles.entityId ?? roles.playerId ?? -1;
      this.updateEntity(id, position, roles.velocity, tUs, afterLoss);
    }
    const entities = roles.entities;
    if (entities === undefined) return;
    for (let index = 0; index < entities.length; index++) {
      const entity: EntityRoles = entities[index]!;
      const entityPosition = entity.position;
      if (entityPosition === undefined) continue;
      const id = entity.entityId;
      if (isDenseId(id)) this.updateDenseEntity(id, entityPosition, entity.velocity, tUs, afterLoss);
      else this.updateEntity(id, entityPosition, entity.velocity, tUs, afterLoss);
    }
  }

  /** Makes the dense table hold ids up to `id`. */
  private growDense(id: number): void {
    let capacity = Math.max(64, this.denseCapacity);
    while (capacity <= id) capacity *= 2;
    capacity = Math.min(capacity, DENSE_ENTITY_IDS);
    const grown = new Float64Array(capacity << ROW_SHIFT);
    grown.set(this.dense);
    this.dense = grown;
    this.denseCapacity = capacity;
  }

  /** Creates dense entity `id` within the entity limit (false when the limit is reached). */
  private createDense(id: number, tUs: number): boolean {
    if (this.entityCount >= this.maxEntities) {
      this.entitiesDropped += 1;
      return false;
    }
    this.entityCount += 1;
    this.created = true;
    if (id >= this.denseCapacity) this.growDense(id);
    const row = id << ROW_SHIFT;
    this.dense.fill(0, row, row + FIELD_TIME_US);
    this.dense[row + FIELD_TIME_US] = tUs;
    this.dense[row + FIELD_FLAGS] = DENSE_PRESENT;
    return true;
  }

  /** True when dense entity `id` exists. */
  private hasDense(id: number): boolean {
    return id < this.denseCapacity && this.dense[(id << ROW_SHIFT) + FIELD_FLAGS] !== 0;
  }

  /** The state of sparse entity `id`, creating it within the entity limit (undefined when the limit is reached). */
  private sparseEntity(id: number, tUs: number): EntityState | undefined {
    let state = this.sparseEntities.get(id);
    if (state !== undefined) return state;
    if (this.entityCount >= this.maxEntities) {
      this.entitiesDropped += 1;
      return undefined;
    }
    this.entityCount += 1;
    this.created = true;
    state = { x: 0, y: 0, z: 0, vx: 0, vy: 0, vz: 0, hasVelocity: false, tUs };
    this.sparseEntities.set(id, state);
    return state;
  }

  /** The state of entity `id` as an object (a copy for a dense id; undefined when unknown). */
  private knownEntity(id: number): EntityState | undefined {
    if (!isDenseId(id)) return this.sparseEntities.get(id);
    if (!this.hasDense(id)) return undefined;
    const dense = this.dense;
    const row = id << ROW_SHIFT;
    return {
      x: dense[row + FIELD_X]!,
      y: dense[row + FIELD_Y]!,
      z: dense[row + FIELD_Z]!,
      vx: dense[row + FIELD_VX]!,
      vy: dense[row + FIELD_VY]!,
      vz: dense[row + FIELD_VZ]!,
      hasVelocity: (dense[row + FIELD_FLAGS]! & DENSE_VELOCITY) !== 0,
      tUs: dense[row + FIELD_TIME_US]!,
    };
  }

  /** Sets entity `id` (creating it within the entity limit). */
  private setEntity(id: number, entity: EntityState): void {
    if (isDenseId(id)) {
      if (!this.hasDense(id) && !this.createDense(id, entity.tUs)) return;
      const dense = this.dense;
      const row = id << ROW_SHIFT;
      dense[row + FIELD_X] = entity.x;
      dense[row + FIELD_Y] = entity.y;
      dense[row + FIELD_Z] = entity.z;
      dense[row + FIELD_VX] = entity.vx;
      dense[row + FIELD_VY] = entity.vy;
      dense[row + FIELD_VZ] = entity.vz;
      dense[row + FIELD_TIME_US] = entity.tUs;
      dense[row + FIELD_FLAGS] = entity.hasVelocity ? DENSE_PRESENT | DENSE_VELOCITY : DENSE_PRESENT;
      return;
    }
    const state = this.sparseEntity(id, entity.tUs);
    if (state !== undefined) Object.assign(state, entity);
  }

  private updateEntity(id: number, position: Vector3, velocity: Vector3 | undefined, tUs: number, afterLoss: number): void {
    if (isDenseId(id)) {
      this.updateDenseEntity(id, position, velocity, tUs, afterLoss);
      return;
    }
    const state = this.sparseEntity(id, tUs);
    if (state === undefined) return;
    if (this.created) {
      this.created = false;
      this.firstEntities.push([id, position.x, position.y, position.z, tUs, afterLoss]);
    }
    // A new entity has state.tUs = tUs: no previous position, no jump.
    if (tUs > state.tUs) {
      const elapsedSeconds = state.hasVelocity ? (tUs - state.tUs) / 1e6 : 0;
      const dx = position.x - (state.x + state.vx * elapsedSeconds);
      const dy = position.y - (state.y + state.vy * elapsedSeconds);
      const dz = position.z - (state.z + state.vz * elapsedSeconds);
      this.batch.add(Math.sqrt(dx * dx + dy * dy + dz * dz) * JUMP_SCALE, TARGET_BASELINE_JUMP + afterLoss);
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

  /** {@link StateSyncTracker.updateEntity} on the dense table (same arithmetic, same order). */
  private updateDenseEntity(id: number, position: Vector3, velocity: Vector3 | undefined, tUs: number, afterLoss: number): void {
    const row = id << ROW_SHIFT;
    if (!(id < this.denseCapacity && this.dense[row + FIELD_FLAGS] !== 0)) {
      if (!this.createDense(id, tUs)) return;
      this.created = false;
      this.firstEntities.push([id, position.x, position.y, position.z, tUs, afterLoss]);
    }
    const dense = this.dense;
    const x = position.x;
    const y = position.y;
    const z = position.z;
    const lastUs = dense[row + FIELD_TIME_US]!;
    // A new entity has its time = tUs: no previous position, no jump.
    if (tUs > lastUs) {
      const elapsedSeconds = (dense[row + FIELD_FLAGS]! & DENSE_VELOCITY) !== 0 ? (tUs - lastUs) / 1e6 : 0;
      const dx = x - (dense[row + FIELD_X]! + dense[row + FIELD_VX]! * elapsedSeconds);
      const dy = y - (dense[row + FIELD_Y]! + dense[row + FIELD_VY]! * elapsedSeconds);
      const dz = z - (dense[row + FIELD_Z]! + dense[row + FIELD_VZ]! * elapsedSeconds);
      this.batch.add(Math.sqrt(dx * dx + dy * dy + dz * dz) * JUMP_SCALE, TARGET_BASELINE_JUMP + afterLoss);
    }
    dense[row + FIELD_X] = x;
    dense[row + FIELD_Y] = y;
    dense[row + FIELD_Z] = z;
    if (velocity === undefined) {
      dense[row + FIELD_VX] = 0;
      dense[row + FIELD_VY] = 0;
      dense[row + FIELD_VZ] = 0;
      dense[row + FIELD_FLAGS] = DENSE_PRESENT;
    } else {
      dense[row + FIELD_VX] = velocity.x ?? 0;
      dense[row + FIELD_VY] = velocity.y ?? 0;
      dense[row + FIELD_VZ] = velocity.z ?? 0;
      dense[row + FIELD_FLAGS] = DENSE_PRESENT | DENSE_VELOCITY;
    }
    dense[row + FIELD_TIME_US] = tUs;
  }

  /** The tracker as plain data (packet-level dedupe is not kept: a pass ends between packets). */
  saveState(): StateSyncState {
    const entities: EncodedFloat[][] = [];
    const push = (id: number, state: EntityState): void => {
      entities.push([id, state.x, state.y, state.z, state.vx, state.vy, state.vz, state.hasVelocity ? 1 : 0, state.tUs].map(encodeFloat));
    };
    for (let id = 0; id < this.denseCapacity; id++) if (this.hasDense(id)) push(id, this.knownEntity(id)!);
    for (const [id, state] of this.sparseEntities) push(id, state);
    return {
      intervalsUs: this.intervalsUs.saveState(),
      staleAfterLossUs: this.staleAfterLossUs.saveState(),
      jumpAfterLoss: this.jumpAfterLoss.saveState(),
      jumpBaseline: this.jumpBaseline.saveState(),
      exceeds: this.exceeds,
      updates: this.updates,
      entitiesDropped: this.entitiesDropped,
      bufferCovered: [...this.bufferCovered],
      sample: [...this.sample],
      nominalUs: this.nominalUs,
      lastUpdateUs: encodeFloat(this.lastUpdateUs),
      entities,
      firstUpdate: this.firstUpdate === null ? null : { ...this.firstUpdate },
      firstEntities: this.firstEntities.map((entry) => entry.map(encodeFloat)),
      nearThresholdUs: [...this.nearThresholdUs],
      nearThresholdOverflow: this.nearThresholdOverflow,
    };
  }

  /**
   * Folds a saved tracker in: `passOrder` "after" when the state is a later
   * pass of the same stream (its entities and last update win), "disjoint"
   * when this tracker is fresh. Histograms and counts add; the nominal interval
   * is this tracker's when known (a later pass's coverage counts were made
   * against its own nominal interval).
   */
  mergeState(state: StateSyncState, packetIndexOffset = 0, bufferCovered: readonly number[] = state.bufferCovered): void {
    if (this.firstUpdate === null && state.firstUpdate !== null) {
      this.firstUpdate = { tUs: state.firstUpdate.tUs, packetIndex: state.firstUpdate.packetIndex + packetIndexOffset };
    }
    if (this.firstEntities.length === 0) for (const entry of state.firstEntities) this.firstEntities.push(entry.map(decodeFloat));
    this.intervalsUs.merge(LogHistogram.fromState(state.intervalsUs));
    this.staleAfterLossUs.merge(LogHistogram.fromState(state.staleAfterLossUs));
    this.jumpAfterLoss.merge(LogHistogram.fromState(state.jumpAfterLoss));
    this.jumpBaseline.merge(LogHistogram.fromState(state.jumpBaseline));
    this.exceeds += state.exceeds;
    this.updates += state.updates;
    this.entitiesDropped += state.entitiesDropped;
    for (let index = 0; index <= MAX_BUFFER_SNAPSHOTS; index++) this.bufferCovered[index]! += bufferCovered[index] ?? 0;
    const fresh = this.nominalUs === 0 || this.nominalUs === state.nominalUs;
    for (const intervalUs of state.nearThresholdUs) {
      if (!fresh) continue;
      if (this.nearThresholdUs.length < MAX_NEAR_THRESHOLD) this.nearThresholdUs.push(intervalUs);
      else this.nearThresholdOverflow = true;
    }
    if (state.nearThresholdOverflow || !fresh) this.nearThresholdOverflow ||= state.nearThresholdOverflow || state.nearThresholdUs.length > 0;
    if (this.nominalUs === 0 && state.nominalUs > 0) {
      this.nominalUs = state.nominalUs;
      for (const interval of this.sample) this.countBuffers(interval);
      this.sample.length = 0;
    } else if (this.nominalUs === 0) {
      for (const interval of state.sample) this.sample.push(interval);
      if (this.sample.length >= NOMINAL_SAMPLE) {
        this.nominalUs = median(this.sample.slice(0, NOMINAL_SAMPLE));
        for (const interval of this.sample) this.countBuffers(interval);
        this.sample.length = 0;
      }
    } else {
      for (const interval of state.sample) this.countBuffers(interval);
    }
    const lastUpdateUs = decodeFloat(state.lastUpdateUs);
    if (!Number.isNaN(lastUpdateUs)) this.lastUpdateUs = lastUpdateUs;
    for (const entry of state.entities) {
      const values = entry.map(decodeFloat);
      const id = values[0]!;
      this.setEntity(id, { x: values[1]!, y: values[2]!, z: values[3]!, vx: values[4]!, vy: values[5]!, vz: values[6]!, hasVelocity: values[7] === 1, tUs: values[8]! });
    }
  }

  /**
   * Continues this tracker with a later pass of the same stream (a rotation
   * cut): the update interval across the cut (stale after loss when the first
   * update of the later pass followed `seamSkipped` lost datagrams, as the
   * merge's replay found), the correction jump of each entity's first update
   * in the later pass against its last state here, then everything the later
   * pass counted ({@link StateSyncTracker.mergeState}).
   */
  continueWith(state: StateSyncState, seamSkipped: number): void {
    const first = state.firstUpdate;
    if (first !== null && !Number.isNaN(this.lastUpdateUs) && first.tUs >= this.lastUpdateUs) {
      const intervalUs = first.tUs - this.lastUpdateUs;
      this.intervalsUs.add(intervalUs);
      if (seamSkipped > 0) this.staleAfterLossUs.add(intervalUs);
      if (intervalUs > this.interpolationDelayUs) this.exceeds += 1;
      if (this.nominalUs > 0) this.countBuffers(intervalUs);
      else {
        this.sample.push(intervalUs);
        if (this.sample.length === NOMINAL_SAMPLE) {
          this.nominalUs = median(this.sample);
          for (const interval of this.sample) this.countBuffers(interval);
          this.sample.length = 0;
        }
      }
    }
    for (const entry of state.firstEntities) {
      const [id, x, y, z, tUs, afterLoss] = entry.map(decodeFloat) as [number, number, number, number, number, number];
      const known = this.knownEntity(id);
      if (known === undefined || !(tUs > known.tUs)) continue;
      const elapsedSeconds = known.hasVelocity ? (tUs - known.tUs) / 1e6 : 0;
      const dx = x - (known.x + known.vx * elapsedSeconds);
      const dy = y - (known.y + known.vy * elapsedSeconds);
      const dz = z - (known.z + known.vz * elapsedSeconds);
      const loss = first !== null && tUs === first.tUs ? seamSkipped > 0 : afterLoss === 1;
      (loss ? this.jumpAfterLoss : this.jumpBaseline).add(Math.sqrt(dx * dx + dy * dy + dz * dz) * JUMP_SCALE);
    }
    const firstEntities = this.firstEntities.length;
    const firstUpdate = this.firstUpdate;
    this.mergeState(state, 0, this.recount(state) ?? state.bufferCovered);
    // The combined pass begins where this one began.
    this.firstEntities.length = firstEntities;
    this.firstUpdate = firstUpdate;
  }

  /** Scale to turn recorded jumps back into game units. */
  static readonly jumpScale = 1 / JUMP_SCALE;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
