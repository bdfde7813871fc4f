import { Type, type Static } from "@sinclair/typebox";
import { ErrorCode, type DecodeAnomaly, type GameMessage } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import { CountSchema, decodeFloat, EncodedFloatSchema, encodeFloat, EvidencePacketsSchema, placePacketIndices } from "../state-encoding.js";
import type { InputProblem, InputProblemKind } from "../input-problem.js";
import type { AnticheatOptions } from "../options.js";

/** Anomaly codes that mean "did not verify" (or could not be verified): a key question. */
const AUTHENTICATION_CODES: ReadonlySet<string> = new Set(["E_DECRYPT_FAILED", "E_KEY_MISSING"]);

/** Distinct-datagram counter (messages of one datagram arrive together). */
class DatagramCount {
  count = 0;
  private last = -1;
  add(packetIndex: number): void {
    if (packetIndex === this.last) return;
    this.last = packetIndex;
    this.count += 1;
  }
}

const DetailSchema = Type.String({ maxLength: 4096 });

/** Saved state of a {@link TamperingDetector}: violation counts by code, datagram counts by outcome, first/last times and evidence. */
export const TamperingStateSchema = Type.Object({
  byCode: Type.Array(Type.Tuple([Type.String({ maxLength: 256 }), CountSchema]), { maxItems: 16 }),
  events: CountSchema,
  firstUs: EncodedFloatSchema,
  lastUs: EncodedFloatSchema,
  packetIndices: EvidencePacketsSchema,
  firstDetail: DetailSchema,
  /** Datagrams: decoded, verified, failing authentication, without key, failing decode, server failing authentication, server failing decode. */
  datagrams: Type.Array(CountSchema, { minItems: 7, maxItems: 7 }),
  firstFailureUs: EncodedFloatSchema,
  lastFailureUs: EncodedFloatSchema,
  firstFailureDetail: DetailSchema,
  failurePackets: EvidencePacketsSchema,
});

/** See {@link TamperingStateSchema}. */
export type TamperingState = Static<typeof TamperingStateSchema>;

/**
 * Tampering: definition violations reported by the decoder for client
 * packets (out-of-range values, lengths beyond the maximum, failed MAC/AEAD
 * tags), messages whose authentication did not verify, and physically
 * impossible values (non-finite or out-of-world positions).
 *
 * Tampering needs readable traffic around the failures: at least
 * `tamperingMinCleanDatagrams` client datagrams that decoded (verified, when
 * the session authenticates at all) and failures a minority
 * (≤ `tamperingMaxFailureFraction` of the client datagrams). A session where
 * (nearly) every datagram fails authentication is a wrong or missing key, one
 * where (nearly) every datagram fails to decode is a wrong definition: both
 * are reported by {@link inputProblem} as a problem of the input, and no
 * tampering is claimed.
 */
export class TamperingDetector implements SessionDetector {
  private readonly codes: ReadonlySet<string>;
  private readonly byCode = new Map<string, number>();
  private events = 0;
  private firstUs = Number.NaN;
  private lastUs = Number.NaN;
  private readonly packetIndices: number[] = [];
  private firstDetail = "";
  private readonly decoded = new DatagramCount();
  private readonly verified = new DatagramCount();
  private readonly authenticationFailures = new DatagramCount();
  /** Client datagrams that could not be verified because no key was available (`E_KEY_MISSING`), apart from wrong-key failures. */
  private readonly keyMissingFailures = new DatagramCount();
  private readonly decodeFailures = new DatagramCount();
  /** Server-to-client datagrams that failed authentication / decoding (a key or definition problem shows on both sides). */
  private readonly serverAuthenticationFailures = new DatagramCount();
  private readonly serverDecodeFailures = new DatagramCount();
  private firstFailureUs = Number.NaN;
  private lastFailureUs = Number.NaN;
  private firstFailureDetail = "";
  private readonly failurePackets: number[] = [];

  constructor(private readonly options: AnticheatOptions) {
    this.codes = new Set(options.tamperingCodes);
  }

  onClientAnomaly(anomaly: DecodeAnomaly): void {
    const detail = `${anomaly.code}${anomaly.fieldPath === undefined ? "" : ` at ${anomaly.fieldPath}`}: ${anomaly.detail}`;
    if (AUTHENTICATION_CODES.has(anomaly.code)) {
      this.authenticationFailures.add(anomaly.packetIndex);
      if (anomaly.code === ErrorCode.keyMissing) this.keyMissingFailures.add(anomaly.packetIndex);
    } else this.decodeFailures.add(anomaly.packetIndex);
    if (Number.isNaN(this.firstFailureUs)) {
      this.firstFailureUs = anomaly.tUs;
      this.firstFailureDetail = detail;
    }
    this.lastFailureUs = anomaly.tUs;
    addEvidencePacket(this.failurePackets, anomaly.packetIndex);
    if (!this.codes.has(anomaly.code)) return;
    this.record(anomaly.code, anomaly.tUs, anomaly.packetIndex, detail);
  }

  /** A server-to-client decode anomaly of the same session (evidence for a key or definition problem). */
  onServerAnomaly(anomaly: DecodeAnomaly): void {
    if (AUTHENTICATION_CODES.has(anomaly.code)) this.serverAuthenticationFailures.add(anomaly.packetIndex);
    else this.serverDecodeFailures.add(anomaly.packetIndex);
  }

  onClientMessage(message: GameMessage): void {
    const roles = message.roles;
    if (roles.authenticated === false) {
      this.authenticationFailures.add(message.packetIndex);
      if (Number.isNaN(this.firstFailureUs)) {
        this.firstFailureUs = message.tUs;
        this.firstFailureDetail = "message authentication failed";
      }
      this.lastFailureUs = message.tUs;
      addEvidencePacket(this.failurePackets, message.packetIndex);
      this.record("unauthenticated", message.tUs, message.packetIndex, "message authentication failed");
    } else {
      this.decoded.add(message.packetIndex);
      if (roles.authenticated === true) this.verified.add(message.packetIndex);
    }
    const position = roles.position;
    if (position !== undefined) {
      const bound = this.options.worldBound;
      const { x, y, z } = position;
      if (!(Math.abs(x) <= bound && Math.abs(y) <= bound && Math.abs(z) <= bound)) {
        this.record("impossiblePosition", message.tUs, message.packetIndex, `position (${x}, ${y}, ${z}) outside ±${bound}`);
      }
    }
  }

  private record(code: string, tUs: number, packetIndex: number, detail: string): void {
    this.events += 1;
    if (this.byCode.size < 16 || this.byCode.has(code)) this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    if (Number.isNaN(this.firstUs)) {
      this.firstUs = tUs;
      this.firstDetail = detail;
    }
    this.lastUs = tUs;
    addEvidencePacket(this.packetIndices, packetIndex);
  }

  /**
   * The input problem of this session, if any: most client datagrams fail
   * authentication (key) or decoding (definition), or too few are readable to
   * call the failures a player's. Undefined when the session's traffic reads fine.
   */
  inputProblem(): InputProblem | undefined {
    const authenticationFailures = this.authenticationFailures.count;
    const decodeFailures = this.decodeFailures.count;
    const failures = authenticationFailures + decodeFailures;
    if (failures === 0) return undefined;
    // Readable datagrams: verified ones when the session has verified traffic, otherwise
    // every decoded one (a wrong key leaves only the unencrypted handshake readable).
    const authenticates = this.verified.count > 0;
    const readable = authenticates ? this.verified.count : this.decoded.count;
    const fraction = failures / (failures + readable);
    if (readable >= this.options.tamperingMinCleanDatagrams && fraction <= this.options.tamperingMaxFailureFraction) return undefined;
    // No key at all (E_KEY_MISSING) for most failing datagrams is not a wrong key: say which.
    const keyKind: InputProblemKind = this.keyMissingFailures.count * 2 > authenticationFailures ? "keyMissing" : "keyMismatch";
    const kind: InputProblemKind = authenticationFailures >= decodeFailures ? keyKind : "definitionMismatch";
    const keyProblem = kind !== "definitionMismatch";
    const serverFailures = keyProblem ? this.serverAuthenticationFailures.count : this.serverDecodeFailures.count;
    const what =
      kind === "keyMissing"
        ? "cannot be decrypted: no key for this session and direction (E_KEY_MISSING)"
        : kind === "keyMismatch"
          ? "fail authentication (AEAD/MAC tag does not verify)"
          : "fail to decode with this definition";
    const cause =
      kind === "keyMissing"
        ? "the definition encrypts with an AEAD transform and no key was given for this session (no key file, or none of its lines names this session)"
        : kind === "keyMismatch"
          ? "the key file or key settings do not match this session"
          : "the protocol definition does not match this traffic";
    return {
      kind,
      startUs: this.firstFailureUs,
      endUs: this.lastFailureUs,
      summary:
        `${keyProblem ? authenticationFailures : decodeFailures} of ${failures + readable} client datagrams ${what}, ` +
        `${readable} ${authenticates ? "verified" : "decoded"}${serverFailures > 0 ? `; ${serverFailures} server datagrams fail too` : ""}: ` +
        `${cause} (first: ${this.firstFailureDetail}). ` +
        "This is a problem of the input, not a player's tampering; the player is not judged.",
      values: {
        clientDatagramsFailingAuthentication: authenticationFailures,
        clientDatagramsWithoutKey: this.keyMissingFailures.count,
        clientDatagramsFailingDecode: decodeFailures,
        clientDatagramsReadable: readable,
        failureFraction: round3(fraction),
        serverDatagramsFailingAuthentication: this.serverAuthenticationFailures.count,
        serverDatagramsFailingDecode: this.serverDecodeFailures.count,
        first: this.firstFailureDetail,
      },
      packetIndices: [...this.failurePackets],
    };
  }

  private datagramCounts(): DatagramCount[] {
    return [
      this.decoded,
      this.verified,
      this.authenticationFailures,
      this.keyMissingFailures,
      this.decodeFailures,
      this.serverAuthenticationFailures,
      this.serverDecodeFailures,
    ];
  }

  /** The state as plain data; the detector is unchanged. */
  saveState(): TamperingState {
    return {
      byCode: [...this.byCode],
      events: this.events,
      firstUs: encodeFloat(this.firstUs),
      lastUs: encodeFloat(this.lastUs),
      packetIndices: [...this.packetIndices],
      firstDetail: this.firstDetail,
      datagrams: this.datagramCounts().map((counter) => counter.count),
      firstFailureUs: encodeFloat(this.firstFailureUs),
      lastFailureUs: encodeFloat(this.lastFailureUs),
      firstFailureDetail: this.firstFailureDetail,
      failurePackets: [...this.failurePackets],
    };
  }

  /** Replaces the state by a validated saved one (packet indices moved by `packetIndexOffset`). */
  loadState(state: TamperingState, packetIndexOffset: number): void {
    this.byCode.clear();
    for (const [code, count] of state.byCode) this.byCode.set(code, count);
    this.events = state.events;
    this.firstUs = decodeFloat(state.firstUs);
    this.lastUs = decodeFloat(state.lastUs);
    this.packetIndices.push(...placePacketIndices(state.packetIndices, packetIndexOffset));
    this.firstDetail = state.firstDetail;
    this.datagramCounts().forEach((counter, index) => {
      counter.count = state.datagrams[index]!;
    });
    this.firstFailureUs = decodeFloat(state.firstFailureUs);
    this.lastFailureUs = decodeFloat(state.lastFailureUs);
    this.firstFailureDetail = state.firstFailureDetail;
    this.failurePackets.push(...placePacketIndices(state.failurePackets, packetIndexOffset));
  }

  /** Continues with the same session's detector after a rotation cut: every count adds (exact: a datagram is in one pass). */
  continueWith(later: TamperingDetector): void {
    for (const [code, count] of later.byCode) {
      if (this.byCode.size < 16 || this.byCode.has(code)) this.byCode.set(code, (this.byCode.get(code) ?? 0) + count);
    }
    this.events += later.events;
    if (Number.isNaN(this.firstUs)) {
      this.firstUs = later.firstUs;
      this.firstDetail = later.firstDetail;
    }
    if (!Number.isNaN(later.lastUs)) this.lastUs = later.lastUs;
    for (const packet of later.packetIndices) addEvidencePacket(this.packetIndices, packet);
    const laterCounts = later.datagramCounts();
    this.datagramCounts().forEach((counter, index) => {
      counter.count += laterCounts[index]!.count;
    });
    if (Number.isNaN(this.firstFailureUs)) {
      this.firstFailureUs = later.firstFailureUs;
      this.firstFailureDetail = later.firstFailureDetail;
    }
    if (!Number.isNaN(later.lastFailureUs)) this.lastFailureUs = later.lastFailureUs;
    for (const packet of later.failurePackets) addEvidencePacket(this.failurePackets, packet);
  }

  finish(_timeline: unknown, events: DetectorEvent[]): void {
    if (this.events < this.options.tamperingMinEvents || this.events === 0) return;
    if (this.inputProblem() !== undefined) return;
    const values: Record<string, number | string> = { violations: this.events, first: this.firstDetail };
    for (const code of [...this.byCode.keys()].sort()) values[code] = this.byCode.get(code)!;
    values.readableDatagrams = this.verified.count > 0 ? this.verified.count : this.decoded.count;
    events.push({
      kind: "tampering",
      startUs: this.firstUs,
      endUs: this.lastUs,
      confidence: round3(Math.min(0.99, 0.6 + 0.1 * (this.events - 1))),
      summary: `${this.events} client packets violate the protocol definition or fail authentication amid ${values.readableDatagrams} readable ones (first: ${this.firstDetail}).`,
      values,
      packetIndices: [...this.packetIndices],
    });
  }
}
