import { Type, type Static } from "@sinclair/typebox";
import type { EntityRoles, GameMessage } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import { CountSchema, decodeFloat, decodeFloats, EncodedFloatSchema, encodeFloat, encodeFloats, EvidencePacketsSchema, placePacketIndices } from "../state-encoding.js";
import type { AnticheatOptions } from "../options.js";

/** Server placements remembered (spawns of any entity the session hears of; 1 KB per session). */
const PLACEMENTS = 32;
/**
 * How long before the jump's previous position (arrival time, µs) a placement
 * may have happened and still explain the jump: a client keeps sending its
 * old position for up to one RTT after the server placed it (it has not seen
 * the spawn yet), and a player may stand still after a respawn for a while.
 */
const PLACEMENT_MEMORY_US = 10_000_000;
/** Entities of the latest snapshot kept for identifying the player's own entity. */
const SNAPSHOT_ENTITIES = 128;
/** A claimed position this close to a snapshot entity (units) is a vote for it being the player's own. */
const OWN_ENTITY_DISTANCE = 2;
/** Votes that make an entity the player's own. */
const OWN_ENTITY_VOTES = 3;
/** Candidate entities voted for at most (bounded memory). */
const MAX_CANDIDATES = 16;

/** Saved state of one position track (see {@link MovementStateSchema}). */
const PositionTrackStateSchema = Type.Object({
  /** Anchor x, y, z, claimed µs; last x, y, z, claimed µs, arrival µs. */
  anchor: Type.Array(EncodedFloatSchema, { minItems: 4, maxItems: 4 }),
  last: Type.Array(EncodedFloatSchema, { minItems: 5, maxItems: 5 }),
  violations: CountSchema,
  teleports: CountSchema,
  /** Max speed, max jump, its seconds and speed. */
  maxima: Type.Array(EncodedFloatSchema, { minItems: 4, maxItems: 4 }),
  firstEventUs: EncodedFloatSchema,
  lastEventUs: EncodedFloatSchema,
  packetIndices: EvidencePacketsSchema,
  /** The pass's first position: x, y, z, claimed µs, arrival µs, packet index (null before one). */
  first: Type.Union([Type.Array(EncodedFloatSchema, { minItems: 6, maxItems: 6 }), Type.Null()]),
});

type PositionTrackState = Static<typeof PositionTrackStateSchema>;

/**
 * Saved state of a {@link MovementDetector}: both position tracks, the server
 * placements (spawns) remembered, and the relayed position still waiting for
 * its datagram's placements. Which snapshot entity is the player's own is not
 * saved: after a rotation cut the later pass identifies it again (its relay
 * track starts once it has), and the first position after the cut is judged
 * against the last one before it.
 */
export const MovementStateSchema = Type.Object({
  claimed: PositionTrackStateSchema,
  relayed: PositionTrackStateSchema,
  /** Placements, oldest first: capture µs, x, y, z. */
  placements: Type.Array(Type.Tuple([EncodedFloatSchema, EncodedFloatSchema, EncodedFloatSchema, EncodedFloatSchema]), { maxItems: PLACEMENTS }),
  /** Relayed position not yet judged: capture µs, packet index, x, y, z, claimed µs. */
  pending: Type.Union([Type.Array(EncodedFloatSchema, { minItems: 6, maxItems: 6 }), Type.Null()]),
});

/** See {@link MovementStateSchema}. */
export type MovementState = Static<typeof MovementStateSchema>;

/**
 * Movement: straight-line speed of the client's own position over windows of
 * claimed time (a lower bound of the path speed, so curves never inflate it)
 * above the maximum speed, and teleports (a jump beyond `teleportDistance`
 * faster than three times the maximum speed). Claimed time is used so
 * network bursts and lag-switch flushes do not look like speed. A server
 * message with a position (spawn, correction) explains a later jump to where
 * the player could have walked from it (a respawn): the placement happened at
 * most ten seconds before the jump's previous position arrived (the client
 * may still send its old position for an RTT after a respawn), and the
 * landing point is within `teleportDistance` plus the allowed speed × the time
 * since the placement. Evidence names only what the verdict rests on (speed
 * windows, teleports, or both).
 */
export class MovementDetector implements SessionDetector {
  /** Positions the client claims for itself (shots, own-movement commands). */
  private readonly claimed: PositionTrack;
  /** The player's own entity as the server relays it in snapshots, on the client's claimed clock. */
  private readonly relayed: PositionTrack;
  private readonly placements = new Float64Array(PLACEMENTS * 4);
  private placementCount = 0;
  /** Latest claimed time of any client message, µs (NaN before). */
  private latestClaimUs = Number.NaN;
  /** Entities of the latest server snapshot while the own entity is unknown: ids and positions (the first {@link snapshotCount}). */
  private readonly snapshotIds = new Float64Array(SNAPSHOT_ENTITIES);
  private readonly snapshotPositions = new Float64Array(SNAPSHOT_ENTITIES * 3);
  private snapshotCount = 0;
  /** Votes for the player's own entity (the one at the position the client claims for itself). */
  private readonly votes = new Map<number, number>();
  private ownEntityId = Number.NaN;
  /** The own entity's latest relayed position, not yet judged. */
  private hasPending = false;
  /** Arrival µs and packet index of the snapshot that carried it (a message is not kept past its call). */
  private pendingArrivalUs = 0;
  private pendingPacketIndex = 0;
  private pendingX = 0;
  private pendingY = 0;
  private pendingZ = 0;
  private pendingClaimUs = 0;

  constructor(private readonly options: AnticheatOptions) {
    const explained = (arrivalUs: number, lastArrivalUs: number, x: number, y: number, z: number): boolean => this.nearPlacement(arrivalUs, lastArrivalUs, x, y, z);
    this.claimed = new PositionTrack(options, explained);
    this.relayed = new PositionTrack(options, explained);
  }

  onClientMessage(message: GameMessage, claimedUs: number | undefined): void {
    if (claimedUs !== undefined && !(claimedUs <= this.latestClaimUs)) this.latestClaimUs = claimedUs;
    const position = message.roles.position;
    if (position === undefined) return;
    const { x, y, z } = position;
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) return;
    if (Number.isNaN(this.ownEntityId)) this.vote(x, y, z);
    POINT[0] = message.tUs;
    POINT[1] = x;
    POINT[2] = y;
    POINT[3] = z;
    POINT[4] = claimedUs ?? message.tUs;
    this.claimed.addPoint(message.packetIndex);
  }

  /**
   * A server message with entities (a snapshot): the player's own entity — once identified as the
   * one at the positions the client claims for itself — is tracked on the client's latest claimed
   * clock (the inputs the server has applied so far), so network bursts and flushes of held inputs
   * do not look like speed. Where the client claims positions only with its shots (once a second
   * or rarer), the server's 30-Hz relay of the same movement is the dense track.
   */
  onServerEntities(message: GameMessage, entities: readonly EntityRoles[]): void {
    this.flushRelayed();
    const own = this.ownEntityId;
    if (Number.isNaN(own)) {
      // Votes still need the snapshot: copied (a message is not kept past the call).
      this.copySnapshot(entities);
      return;
    }
    // Identified for good: only the own entity's position is read (no copy).
    if (Number.isNaN(this.latestClaimUs)) return;
    if (entities.length <= SNAPSHOT_ENTITIES) {
      // Every entity is within the first SNAPSHOT_ENTITIES: the last usable one with the own id is the one kept.
      for (let index = entities.length - 1; index >= 0; index--) {
        const entity = entities[index]!;
        if (entity.entityId !== own) continue;
        const position = entity.position;
        if (position !== undefined && Number.isFinite(position.x) && Number.isFinite(position.y) && Number.isFinite(position.z)) {
          this.setPending(message, position);
          return;
        }
      }
      return;
    }
    let count = 0;
    for (let index = 0; index < entities.length && count < SNAPSHOT_ENTITIES; index++) {
      const entity = entities[index]!;
      const position = entity.position;
      if (position === undefined) continue;
      if (entity.entityId === own && Number.isFinite(position.x) && Number.isFinite(position.y) && Number.isFinite(position.z)) {
        this.setPending(message, position);
      }
      count += 1;
    }
  }

  /** The own entity's relayed position, judged at the next snapshot (a spawn placing the entity may follow in the same datagram). */
  private setPending(message: GameMessage, position: { readonly x: number; readonly y: number; readonly z: number }): void {
    this.hasPending = true;
    this.pendingArrivalUs = message.tUs;
    this.pendingPacketIndex = message.packetIndex;
    this.pendingX = position.x;
    this.pendingY = position.y;
    this.pendingZ = position.z;
    this.pendingClaimUs = this.latestClaimUs;
  }

  /** Keeps the first {@link SNAPSHOT_ENTITIES} positioned entities of a snapshot for {@link vote}. */
  private copySnapshot(entities: readonly EntityRoles[]): void {
    let count = 0;
    for (let index = 0; index < entities.length && count < SNAPSHOT_ENTITIES; index++) {
      const entity = entities[index]!;
      const position = entity.position;
      if (position === undefined) continue;
      this.snapshotIds[count] = entity.entityId;
      this.snapshotPositions[count * 3] = position.x;
      this.snapshotPositions[count * 3 + 1] = position.y;
      this.snapshotPositions[count * 3 + 2] = position.z;
      count += 1;
    }
    this.snapshotCount = count;
  }

  /** Adds the own entity's last relayed position to its track (after the placements of its datagram). */
  private flushRelayed(): void {
    if (!this.hasPending) return;
    this.hasPending = false;
    POINT[0] = this.pendingArrivalUs;
    POINT[1] = this.pendingX;
    POINT[2] = this.pendingY;
    POINT[3] = this.pendingZ;
    POINT[4] = this.pendingClaimUs;
    this.relayed.addPoint(this.pendingPacketIndex);
  }

  /** Counts a vote for the snapshot entity nearest to a position the client claims (within {@link OWN_ENTITY_DISTANCE}). */
  private vote(x: number, y: number, z: number): void {
    let best = -1;
    let bestDistance = OWN_ENTITY_DISTANCE;
    for (let index = 0; index < this.snapshotCount; index++) {
      const distance = Math.hypot(x - this.snapshotPositions[index * 3]!, y - this.snapshotPositions[index * 3 + 1]!, z - this.snapshotPositions[index * 3 + 2]!);
      if (distance <= bestDistance) {
        bestDistance = distance;
        best = index;
      }
    }
    if (best < 0) return;
    const id = this.snapshotIds[best]!;
    const votes = (this.votes.get(id) ?? 0) + 1;
    if (this.votes.size < MAX_CANDIDATES || this.votes.has(id)) this.votes.set(id, votes);
    if (votes >= OWN_ENTITY_VOTES) this.ownEntityId = id;
  }

  /**
   * A server message placing an entity (a spawn, a respawn, a correction) resets
   * the track: the next client position may legitimately be far away.
   */
  onServerPlacement(tUs: number, x: number, y: number, z: number): void {
    const slot = this.placementCount % PLACEMENTS;
    this.placements[slot * 4] = tUs;
    this.placements[slot * 4 + 1] = x;
    this.placements[slot * 4 + 2] = y;
    this.placements[slot * 4 + 3] = z;
    this.placementCount += 1;
  }

  /**
   * True when (x, y, z), arriving at `tUs`, is where the player could be after
   * a server placement (a respawn, not a teleport): placed no more than
   * {@link PLACEMENT_MEMORY_US} before the previous position arrived, and
   * within `teleportDistance` + allowed speed × time since the placement.
   */
  private nearPlacement(tUs: number, lastArrivalUs: number, x: number, y: number, z: number): boolean {
    const count = Math.min(this.placementCount, PLACEMENTS);
    const speed = this.options.maxSpeedUnitsPerSecond * this.options.speedToleranceFactor;
    for (let slot = 0; slot < count; slot++) {
      const at = this.placements[slot * 4]!;
      if (lastArrivalUs - at > PLACEMENT_MEMORY_US || tUs < at) continue;
      const distance = Math.hypot(x - this.placements[slot * 4 + 1]!, y - this.placements[slot * 4 + 2]!, z - this.placements[slot * 4 + 3]!);
      if (distance <= this.options.teleportDistance + (speed * (tUs - at)) / 1e6) return true;
    }
    return false;
  }

  /** Placements in the order they came (oldest first): capture µs, x, y, z. */
  private placementsInOrder(): Array<[number, number, number, number]> {
    const count = Math.min(this.placementCount, PLACEMENTS);
    const start = this.placementCount <= PLACEMENTS ? 0 : this.placementCount % PLACEMENTS;
    const result: Array<[number, number, number, number]> = [];
    for (let index = 0; index < count; index++) {
      const slot = (start + index) % PLACEMENTS;
      result.push([this.placements[slot * 4]!, this.placements[slot * 4 + 1]!, this.placements[slot * 4 + 2]!, this.placements[slot * 4 + 3]!]);
    }
    return result;
  }

  /** The state as plain data; the detector is unchanged. */
  saveState(): MovementState {
    return {
      claimed: this.claimed.saveState(),
      relayed: this.relayed.saveState(),
      placements: this.placementsInOrder().map((placement) => encodeFloats(placement) as MovementState["placements"][number]),
      pending: this.hasPending ? encodeFloats([this.pendingArrivalUs, this.pendingPacketIndex, this.pendingX, this.pendingY, this.pendingZ, this.pendingClaimUs]) : null,
    };
  }

  /** Replaces the state by a validated saved one (packet indices moved by `packetIndexOffset`). */
  loadState(state: MovementState, packetIndexOffset: number): void {
    this.claimed.loadState(state.claimed, packetIndexOffset);
    this.relayed.loadState(state.relayed, packetIndexOffset);
    for (const placement of state.placements) {
      const [tUs, x, y, z] = decodeFloats(placement);
      this.onServerPlacement(tUs!, x!, y!, z!);
    }
    if (state.pending === null) return;
    const [tUs, packetIndex, x, y, z, claimUs] = decodeFloats(state.pending);
    this.hasPending = true;
    this.pendingArrivalUs = tUs!;
    this.pendingPacketIndex = packetIndex! + packetIndexOffset;
    this.pendingX = x!;
    this.pendingY = y!;
    this.pendingZ = z!;
    this.pendingClaimUs = claimUs!;
  }

  /**
   * Continues with the same session's detector after a rotation cut: the
   * relayed position pending at the cut is judged, the later pass's
   * placements join, and each track judges the later pass's first position
   * against its own last one before adding the later pass's counts.
   */
  continueWith(later: MovementDetector): void {
    this.flushRelayed();
    for (const [tUs, x, y, z] of later.placementsInOrder()) this.onServerPlacement(tUs, x, y, z);
    this.claimed.continueWith(later.claimed);
    this.relayed.continueWith(later.relayed);
    this.hasPending = later.hasPending;
    this.pendingArrivalUs = later.pendingArrivalUs;
    this.pendingPacketIndex = later.pendingPacketIndex;
    this.pendingX = later.pendingX;
    this.pendingY = later.pendingY;
    this.pendingZ = later.pendingZ;
    this.pendingClaimUs = later.pendingClaimUs;
  }

  finish(_timeline: unknown, events: DetectorEvent[]): void {
    this.flushRelayed();
    // The track with more evidence: the client's own claims, or the server's relay of its entity.
    const minimum = this.options.movementMinViolations;
    const weight = (track: PositionTrack): number => (track.violations >= minimum ? track.violations : 0) + track.teleports * minimum;
    const track = weight(this.relayed) > weight(this.claimed) ? this.relayed : this.claimed;
    track.finish(events, track === this.relayed ? "the server relays for the player's own entity" : "the client claims");
  }
}

/** Speed windows and teleports of one sequence of positions (see {@link MovementDetector}). */
/**
 * The numbers of a position handed to {@link PositionTrack.addPoint}: arrival µs, x, y, z, claimed µs.
 * A number passed to a call that is not inlined is boxed (an allocation per position); numbers in
 * a typed array are not.
 */
const POINT = new Float64Array(5);

/** Fills {@link POINT}. */
function setPoint(arrivalUs: number, x: number, y: number, z: number, tUs: number): void {
  POINT[0] = arrivalUs;
  POINT[1] = x;
  POINT[2] = y;
  POINT[3] = z;
  POINT[4] = tUs;
}

class PositionTrack {
  private anchorX = 0;
  private anchorY = 0;
  private anchorZ = 0;
  private anchorUs = Number.NaN;
  private lastX = 0;
  private lastY = 0;
  private lastZ = 0;
  private lastUs = Number.NaN;
  /** Arrival (capture) time of the last position. */
  private lastArrivalUs = Number.NaN;
  violations = 0;
  teleports = 0;
  private maxSpeed = 0;
  private maxJump = 0;
  /** Seconds (claimed time) the largest jump took, and its speed, units/s. */
  private maxJumpSeconds = 0;
  private maxJumpSpeed = 0;
  private firstEventUs = Number.NaN;
  private lastEventUs = Number.NaN;
  private readonly packetIndices: number[] = [];
  /** The first position of the pass: x, y, z, claimed µs, arrival µs, packet index (for a rotation cut). */
  private first: number[] | undefined;

  /**
   * Squared step length below which a step is surely within `teleportDistance` (a relative margin
   * of 1e-9 covers the rounding of the squares and of Math.hypot); −1 (never) for a distance so
   * small that its square would lose precision.
   */
  private readonly shortStepSquared: number;

  constructor(
    private readonly options: AnticheatOptions,
    private readonly explained: (arrivalUs: number, lastArrivalUs: number, x: number, y: number, z: number) => boolean,
  ) {
    const distance = options.teleportDistance;
    this.shortStepSquared = distance >= 1e-100 ? distance * distance * (1 - 1e-9) : -1;
  }

  /** Adds a position at claimed time `tUs`, carried by the datagram `packetIndex` that arrived at `arrivalUs`. */
  add(arrivalUs: number, packetIndex: number, x: number, y: number, z: number, tUs: number): void {
    setPoint(arrivalUs, x, y, z, tUs);
    this.addPoint(packetIndex);
  }

  /** {@link add} with the numbers in {@link POINT} (what the hot paths call: no boxed arguments). */
  addPoint(packetIndex: number): void {
    const arrivalUs = POINT[0]!;
    const x = POINT[1]!;
    const y = POINT[2]!;
    const z = POINT[3]!;
    const tUs = POINT[4]!;
    if (Number.isNaN(this.lastUs)) {
      this.first ??= [x, y, z, tUs, arrivalUs, packetIndex];
      this.setAnchor(x, y, z, tUs);
      this.setLast(x, y, z, tUs, arrivalUs);
      return;
    }
    if (tUs <= this.lastUs) return;
    const limit = this.options.maxSpeedUnitsPerSecond;
    const dx = x - this.lastX;
    const dy = y - this.lastY;
    const dz = z - this.lastZ;
    // A step clearly shorter than the teleport distance is no teleport: Math.hypot (exact to an ulp, slow) only near or past it.
    const jump = dx * dx + dy * dy + dz * dz < this.shortStepSquared ? 0 : Math.hypot(dx, dy, dz);
    const stepSeconds = (tUs - this.lastUs) / 1e6;
    if (jump > this.options.teleportDistance && jump / stepSeconds > 3 * limit) {
      if (this.explained(arrivalUs, this.lastArrivalUs, x, y, z)) {
        this.setAnchor(x, y, z, tUs);
        this.setLast(x, y, z, tUs, arrivalUs);
        return;
      }
      this.teleports += 1;
      if (jump > this.maxJump) {
        this.maxJump = jump;
        this.maxJumpSeconds = stepSeconds;
        this.maxJumpSpeed = jump / stepSeconds;
      }
      this.mark(arrivalUs, packetIndex);
      this.setAnchor(x, y, z, tUs);
    } else if (tUs - this.anchorUs >= this.options.movementWindowMs * 1000) {
      const distance = Math.hypot(x - this.anchorX, y - this.anchorY, z - this.anchorZ);
      const speed = distance / ((tUs - this.anchorUs) / 1e6);
      if (speed > limit * this.options.speedToleranceFactor) {
        this.violations += 1;
        this.maxSpeed = Math.max(this.maxSpeed, speed);
        this.mark(arrivalUs, packetIndex);
      }
      this.anchorX = x;
      this.anchorY = y;
      this.anchorZ = z;
      this.anchorUs = tUs;
    }
    // The fields written here rather than through setLast: the numbers stay unboxed even where that call is not inlined.
    this.lastX = x;
    this.lastY = y;
    this.lastZ = z;
    this.lastUs = tUs;
    this.lastArrivalUs = arrivalUs;
  }

  /** The state as plain data; the track is unchanged. */
  saveState(): PositionTrackState {
    return {
      anchor: encodeFloats([this.anchorX, this.anchorY, this.anchorZ, this.anchorUs]),
      last: encodeFloats([this.lastX, this.lastY, this.lastZ, this.lastUs, this.lastArrivalUs]),
      violations: this.violations,
      teleports: this.teleports,
      maxima: encodeFloats([this.maxSpeed, this.maxJump, this.maxJumpSeconds, this.maxJumpSpeed]),
      firstEventUs: encodeFloat(this.firstEventUs),
      lastEventUs: encodeFloat(this.lastEventUs),
      packetIndices: [...this.packetIndices],
      first: this.first === undefined ? null : encodeFloats(this.first),
    };
  }

  /** Replaces the state by a validated saved one (packet indices moved by `packetIndexOffset`). */
  loadState(state: PositionTrackState, packetIndexOffset: number): void {
    [this.anchorX, this.anchorY, this.anchorZ, this.anchorUs] = decodeFloats(state.anchor) as [number, number, number, number];
    [this.lastX, this.lastY, this.lastZ, this.lastUs, this.lastArrivalUs] = decodeFloats(state.last) as [number, number, number, number, number];
    this.violations = state.violations;
    this.teleports = state.teleports;
    [this.maxSpeed, this.maxJump, this.maxJumpSeconds, this.maxJumpSpeed] = decodeFloats(state.maxima) as [number, number, number, number];
    this.firstEventUs = decodeFloat(state.firstEventUs);
    this.lastEventUs = decodeFloat(state.lastEventUs);
    this.packetIndices.push(...placePacketIndices(state.packetIndices, packetIndexOffset));
    if (state.first !== null) {
      const first = decodeFloats(state.first);
      first[5]! += packetIndexOffset;
      this.first = first;
    }
  }

  /** Continues with the later pass's track (see {@link MovementDetector.continueWith}). */
  continueWith(later: PositionTrack): void {
    const first = later.first;
    if (first === undefined) return;
    const [x, y, z, claimedUs, arrivalUs, packetIndex] = first as [number, number, number, number, number, number];
    // The later pass's first position, judged against this track's last (as one pass judges it).
    this.add(arrivalUs, packetIndex, x, y, z, claimedUs);
    this.violations += later.violations;
    this.teleports += later.teleports;
    this.maxSpeed = Math.max(this.maxSpeed, later.maxSpeed);
    if (later.maxJump > this.maxJump) {
      this.maxJump = later.maxJump;
      this.maxJumpSeconds = later.maxJumpSeconds;
      this.maxJumpSpeed = later.maxJumpSpeed;
    }
    if (Number.isNaN(this.firstEventUs)) this.firstEventUs = later.firstEventUs;
    if (!Number.isNaN(later.lastEventUs)) this.lastEventUs = later.lastEventUs;
    for (const packet of later.packetIndices) addEvidencePacket(this.packetIndices, packet);
    this.anchorX = later.anchorX;
    this.anchorY = later.anchorY;
    this.anchorZ = later.anchorZ;
    this.anchorUs = later.anchorUs;
    this.setLast(later.lastX, later.lastY, later.lastZ, later.lastUs, later.lastArrivalUs);
  }

  private setAnchor(x: number, y: number, z: number, tUs: number): void {
    this.anchorX = x;
    this.anchorY = y;
    this.anchorZ = z;
    this.anchorUs = tUs;
  }

  private setLast(x: number, y: number, z: number, tUs: number, arrivalUs: number): void {
    this.lastX = x;
    this.lastY = y;
    this.lastZ = z;
    this.lastUs = tUs;
    this.lastArrivalUs = arrivalUs;
  }

  private mark(arrivalUs: number, packetIndex: number): void {
    if (Number.isNaN(this.firstEventUs)) this.firstEventUs = arrivalUs;
    this.lastEventUs = arrivalUs;
    addEvidencePacket(this.packetIndices, packetIndex);
  }

  /** Appends the `movement` event of this track, if its evidence suffices; `source` names where the positions come from. */
  finish(events: DetectorEvent[], source: string): void {
    if (this.teleports === 0 && this.violations < this.options.movementMinViolations) return;
    const ratio = this.maxSpeed / this.options.maxSpeedUnitsPerSecond;
    const limit = this.options.maxSpeedUnitsPerSecond;
    // Only what the verdict rests on: a lone teleport is no speed window ("0 windows faster ... max 0 units/s").
    const parts: string[] = [];
    if (this.violations >= this.options.movementMinViolations) {
      parts.push(`${this.violations} ${this.options.movementWindowMs}-ms window(s) faster than the ${limit} units/s limit (max ${round3(this.maxSpeed)} units/s, ${round3(ratio)}×)`);
    }
    if (this.teleports > 0) {
      parts.push(
        `${this.teleports} teleport(s) no server placement explains (largest ${round3(this.maxJump)} units in ${round3(this.maxJumpSeconds)} s of claimed time, ${round3(this.maxJumpSpeed)} units/s)`,
      );
    }
    const values: Record<string, number> = { teleports: this.teleports, limitUnitsPerSecond: limit };
    if (this.violations > 0) {
      values.speedViolations = this.violations;
      values.maxSpeedUnitsPerSecond = round3(this.maxSpeed);
      values.speedRatio = round3(ratio);
    }
    if (this.teleports > 0) {
      values.maxJumpUnits = round3(this.maxJump);
      values.maxJumpSeconds = round3(this.maxJumpSeconds);
      values.maxJumpUnitsPerSecond = round3(this.maxJumpSpeed);
    }
    events.push({
      kind: "movement",
      startUs: this.firstEventUs,
      endUs: this.lastEventUs,
      confidence: round3(Math.min(0.99, 0.6 + 0.05 * Math.min(this.violations, 6) + (this.teleports > 0 ? 0.2 : 0))),
      summary: `${parts.join(" and ")} in the positions ${source}.`,
      values,
      packetIndices: [...this.packetIndices],
    });
  }
}
