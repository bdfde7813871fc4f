import { Type, type Static } from "@sinclair/typebox";
import type { GameMessage } from "@tickscope/core";
import { decodeFloat, decodeFloats, EncodedFloatSchema, encodeFloat, encodeFloats, PacketIndexSchema, placePacketIndex } from "./state-encoding.js";

/** Shots (messages with a `targetTime`) kept per datagram. */
export const MAX_DATAGRAM_TARGETS = 4;
/** Distinct action message types kept per datagram. */
export const MAX_DATAGRAM_ACTION_TYPES = 4;

/** Saved state of a {@link ClientDatagram} (the datagram still open when the pass ended). */
export const ClientDatagramStateSchema = Type.Object({
  packetIndex: PacketIndexSchema,
  arrivalUs: EncodedFloatSchema,
  claimedUs: EncodedFloatSchema,
  hasCommand: Type.Boolean(),
  actionTypes: Type.Array(Type.String({ maxLength: 256 }), { maxItems: MAX_DATAGRAM_ACTION_TYPES }),
  targetsUs: Type.Array(EncodedFloatSchema, { maxItems: MAX_DATAGRAM_TARGETS }),
  targetClaimsUs: Type.Array(EncodedFloatSchema, { maxItems: MAX_DATAGRAM_TARGETS }),
  targetModulusUs: EncodedFloatSchema,
});

/** See {@link ClientDatagramStateSchema}. */
export type ClientDatagramState = Static<typeof ClientDatagramStateSchema>;

/**
 * One client-to-server datagram as the detectors that judge timing see it:
 * the messages it carries folded into what they claim. A shot that rides in
 * the same datagram as the newest input claims that input's time (its own
 * `sendTime`/`tick` when it has one), so the datagram — not the message — is
 * the unit of "how late did this arrive for what it claims". Reused between
 * datagrams: fixed-size slots and counts, no allocation on the hot path.
 */
export class ClientDatagram {
  /** Packet index (−1 before the first message). */
  packetIndex = -1;
  /** Capture (arrival) time, µs. */
  arrivalUs = Number.NaN;
  /** Newest claimed time of any message in it (`sendTime`, else `tick` × tick length), µs; NaN when none claims one. */
  claimedUs = Number.NaN;
  /** True when it carries a command (input or own movement) that is not an action. */
  hasCommand = false;
  /** Number of valid entries in {@link actionTypes}. */
  actionTypeCount = 0;
  /** Action message types it carries (shots: `targetTime`; pongs: echo roles; `actionTypes`); the first {@link actionTypeCount} are valid. */
  readonly actionTypes: string[] = new Array<string>(MAX_DATAGRAM_ACTION_TYPES).fill("");
  /** Number of valid entries in {@link targetsUs} and {@link targetClaimsUs}. */
  targetCount = 0;
  /** Target times (`targetTime` role) of the shots it carries, µs; the first {@link targetCount} are valid. */
  readonly targetsUs = new Float64Array(MAX_DATAGRAM_TARGETS);
  /** Claimed time of each shot itself (NaN when the shot claims none and rides on the datagram's), µs. */
  readonly targetClaimsUs = new Float64Array(MAX_DATAGRAM_TARGETS);
  /** Where the shots' `targetTime` field wraps, µs (`targetTimeModulusUs`; NaN when unknown). */
  targetModulusUs = Number.NaN;

  /**
   * @param extraActionTypes message types that count as actions besides those
   *   with a `targetTime` or echo role (the `actionTypes` option).
   */
  constructor(private readonly extraActionTypes?: ReadonlySet<string>) {}

  /** Starts a new datagram. */
  reset(packetIndex: number, arrivalUs: number): void {
    this.packetIndex = packetIndex;
    this.arrivalUs = arrivalUs;
    this.clearFolded();
  }

  /** Starts the datagram of `message` ({@link reset} with its packet index and arrival; no boxed argument on the hot path). */
  start(message: GameMessage): void {
    this.packetIndex = message.packetIndex;
    this.arrivalUs = message.tUs;
    this.clearFolded();
  }

  /** Forgets what the messages of the previous datagram folded in. */
  private clearFolded(): void {
    this.claimedUs = Number.NaN;
    this.hasCommand = false;
    this.actionTypeCount = 0;
    this.targetCount = 0;
    this.targetModulusUs = Number.NaN;
  }

  /** Folds one message of the datagram in. */
  add(message: GameMessage, claimedUs: number | undefined): void {
    const roles = message.roles;
    if (claimedUs !== undefined && !(claimedUs <= this.claimedUs)) this.claimedUs = claimedUs;
    const target = roles.targetTimeUs;
    if (target !== undefined || roles.echoKey !== undefined || (this.extraActionTypes !== undefined && this.extraActionTypes.has(message.type))) {
      if (target !== undefined && this.targetCount < MAX_DATAGRAM_TARGETS) {
        this.targetsUs[this.targetCount] = target;
        this.targetClaimsUs[this.targetCount] = claimedUs ?? Number.NaN;
        this.targetCount += 1;
        if (roles.targetTimeModulusUs !== undefined) this.targetModulusUs = roles.targetTimeModulusUs;
      }
      this.addActionType(message.type);
    } else if (roles.inputSequence !== undefined || roles.inputCount !== undefined || roles.position !== undefined) {
      this.hasCommand = true;
    }
  }

  /** The state as plain data; the datagram is unchanged. */
  saveState(): ClientDatagramState {
    return {
      packetIndex: this.packetIndex,
      arrivalUs: encodeFloat(this.arrivalUs),
      claimedUs: encodeFloat(this.claimedUs),
      hasCommand: this.hasCommand,
      actionTypes: this.actionTypes.slice(0, this.actionTypeCount),
      targetsUs: encodeFloats(this.targetsUs.subarray(0, this.targetCount)),
      targetClaimsUs: encodeFloats(this.targetClaimsUs.subarray(0, this.targetCount)),
      targetModulusUs: encodeFloat(this.targetModulusUs),
    };
  }

  /** Replaces the state by a validated saved one (packet index moved by `packetIndexOffset`). */
  loadState(state: ClientDatagramState, packetIndexOffset: number): void {
    this.reset(placePacketIndex(state.packetIndex, packetIndexOffset), decodeFloat(state.arrivalUs));
    this.claimedUs = decodeFloat(state.claimedUs);
    this.hasCommand = state.hasCommand;
    state.actionTypes.forEach((type, index) => {
      this.actionTypes[index] = type;
    });
    this.actionTypeCount = state.actionTypes.length;
    this.targetsUs.set(decodeFloats(state.targetsUs));
    this.targetClaimsUs.set(decodeFloats(state.targetClaimsUs));
    this.targetCount = state.targetsUs.length;
    this.targetModulusUs = decodeFloat(state.targetModulusUs);
  }

  private addActionType(type: string): void {
    const count = this.actionTypeCount;
    for (let index = 0; index < count; index++) if (this.actionTypes[index] === type) return;
    if (count < MAX_DATAGRAM_ACTION_TYPES) {
      this.actionTypes[count] = type;
      this.actionTypeCount = count + 1;
    }
  }
}
