import type { GameMessage } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
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
  private readonly placements = new Float64Array(PLACEMENTS * 4);
  private placementCount = 0;
  private violations = 0;
  private teleports = 0;
  private maxSpeed = 0;
  private maxJump = 0;
  /** Seconds (claimed time) the largest jump took, and its speed, units/s. */
  private maxJumpSeconds = 0;
  private maxJumpSpeed = 0;
  private firstEventUs = Number.NaN;
  private lastEventUs = Number.NaN;
  private readonly packetIndices: number[] = [];

  constructor(private readonly options: AnticheatOptions) {}

  onClientMessage(message: GameMessage, claimedUs: number | undefined): void {
    const position = message.roles.position;
    if (position === undefined) return;
    const tUs = claimedUs ?? message.tUs;
    const { x, y, z } = position;
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) return;
    if (Number.isNaN(this.lastUs)) {
      this.setAnchor(x, y, z, tUs);
      this.setLast(x, y, z, tUs, message.tUs);
      return;
    }
    if (tUs <= this.lastUs) return;
    const limit = this.options.maxSpeedUnitsPerSecond;
    const jump = Math.hypot(x - this.lastX, y - this.lastY, z - this.lastZ);
    const stepSeconds = (tUs - this.lastUs) / 1e6;
    if (jump > this.options.teleportDistance && jump / stepSeconds > 3 * limit) {
      if (this.nearPlacement(message.tUs, x, y, z)) {
        this.setAnchor(x, y, z, tUs);
        this.setLast(x, y, z, tUs, message.tUs);
        return;
      }
      this.teleports += 1;
      if (jump > this.maxJump) {
        this.maxJump = jump;
        this.maxJumpSeconds = stepSeconds;
        this.maxJumpSpeed = jump / stepSeconds;
      }
      this.mark(message);
      this.setAnchor(x, y, z, tUs);
    } else if (tUs - this.anchorUs >= this.options.movementWindowMs * 1000) {
      const distance = Math.hypot(x - this.anchorX, y - this.anchorY, z - this.anchorZ);
      const speed = distance / ((tUs - this.anchorUs) / 1e6);
      if (speed > limit * this.options.speedToleranceFactor) {
        this.violations += 1;
        this.maxSpeed = Math.max(this.maxSpeed, speed);
        this.mark(message);
      }
      this.setAnchor(x, y, z, tUs);
    }
    this.setLast(x, y, z, tUs, message.tUs);
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
  private nearPlacement(tUs: number, x: number, y: number, z: number): boolean {
    const count = Math.min(this.placementCount, PLACEMENTS);
    const speed = this.options.maxSpeedUnitsPerSecond * this.options.speedToleranceFactor;
    for (let slot = 0; slot < count; slot++) {
      const at = this.placements[slot * 4]!;
      if (this.lastArrivalUs - at > PLACEMENT_MEMORY_US || tUs < at) continue;
      const distance = Math.hypot(x - this.placements[slot * 4 + 1]!, y - this.placements[slot * 4 + 2]!, z - this.placements[slot * 4 + 3]!);
      if (distance <= this.options.teleportDistance + (speed * (tUs - at)) / 1e6) return true;
    }
    return false;
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

  private mark(message: GameMessage): void {
    if (Number.isNaN(this.firstEventUs)) this.firstEventUs = message.tUs;
    this.lastEventUs = message.tUs;
    addEvidencePacket(this.packetIndices, message.packetIndex);
  }

  finish(_timeline: unknown, events: DetectorEvent[]): void {
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
      summary: `${parts.join(" and ")}.`,
      values,
      packetIndices: [...this.packetIndices],
    });
  }
}
