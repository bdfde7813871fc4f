import type { DecodeAnomaly, GameMessage } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import type { AnticheatOptions } from "../options.js";

/**
 * Tampering: definition violations reported by the decoder for client
 * packets (out-of-range values, lengths beyond the maximum, failed MAC/AEAD
 * tags), messages whose authentication did not verify, and physically
 * impossible values (non-finite or out-of-world positions).
 */
export class TamperingDetector implements SessionDetector {
  private readonly codes: ReadonlySet<string>;
  private readonly byCode = new Map<string, number>();
  private events = 0;
  private firstUs = Number.NaN;
  private lastUs = Number.NaN;
  private readonly packetIndices: number[] = [];
  private firstDetail = "";

  constructor(private readonly options: AnticheatOptions) {
    this.codes = new Set(options.tamperingCodes);
  }

  onClientAnomaly(anomaly: DecodeAnomaly): void {
    if (!this.codes.has(anomaly.code)) return;
    this.record(anomaly.code, anomaly.tUs, anomaly.packetIndex, `${anomaly.code}${anomaly.fieldPath === undefined ? "" : ` at ${anomaly.fieldPath}`}: ${anomaly.detail}`);
  }

  onClientMessage(message: GameMessage): void {
    const roles = message.roles;
    if (roles.authenticated === false) this.record("unauthenticated", message.tUs, message.packetIndex, "message authentication failed");
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

  finish(_timeline: unknown, events: DetectorEvent[]): void {
    if (this.events < this.options.tamperingMinEvents || this.events === 0) return;
    const values: Record<string, number | string> = { violations: this.events, first: this.firstDetail };
    for (const code of [...this.byCode.keys()].sort()) values[code] = this.byCode.get(code)!;
    events.push({
      kind: "tampering",
      startUs: this.firstUs,
      endUs: this.lastUs,
      confidence: round3(Math.min(0.99, 0.6 + 0.1 * (this.events - 1))),
      summary: `${this.events} client packets violate the protocol definition or fail authentication (first: ${this.firstDetail}).`,
      values,
      packetIndices: [...this.packetIndices],
    });
  }
}
