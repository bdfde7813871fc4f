import type { CheatKind } from "../cheat-kind.js";

/** Why a cheat kind leaves no signature a detector can read in a protocol shape. */
export interface MissingSignature {
  /** The roles (or constraints) the kind's signature needs and the definition lacks. */
  needs: string[];
  /** One sentence, printed in the matrix. */
  reason: string;
}

/** What each kind's wire signature needs, as roles of the definition (any one of a group suffices). */
const NEEDS: Partial<Record<CheatKind, { roles: readonly string[]; reason: string }>> = {
  speedhack: { roles: ["sendTime"], reason: "no client clock (sendTime role): a faster client clock is invisible" },
  fakeLatency: { roles: ["targetTime", "reportedRtt"], reason: "no targetTime or reportedRtt role: nothing claims a latency to compare with the measured one" },
  rewindAbuse: { roles: ["targetTime"], reason: "no targetTime role: shots claim no time to rewind to" },
  movement: { roles: ["position.x", "position.y", "position.z"], reason: "no position roles: movement is not on the wire" },
  replay: { roles: ["sequence"], reason: "no sequence role: a re-sent old datagram cannot be told from a new one" },
};

function collect(node: unknown, roles: Set<string>, state: { constrained: boolean }): void {
  if (Array.isArray(node)) {
    for (const entry of node) collect(entry, roles, state);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const record = node as Record<string, unknown>;
  if (typeof record.role === "string") roles.add(record.role);
  const type = record.type;
  // A value range that the encoding itself cannot exceed (quantized, enum-free bytes) is no constraint a tamperer can break.
  if (typeof type === "string" && type !== "quantized" && (record.enum !== undefined || record.min !== undefined || record.max !== undefined || record.const !== undefined)) state.constrained = true;
  if (record.transforms !== undefined || record.role === "mac" || record.role === "checksum") state.constrained = true;
  for (const [key, value] of Object.entries(record)) if (key !== "match") collect(value, roles, state);
}

/**
 * The cheat kinds that leave no wire signature in a definition, with the reason: a kind is judged
 * from the roles its signature needs (a client clock for speedhack, a claimed time for fake lag and
 * rewind, positions for movement, a sequence for replay, a field constraint or authentication for
 * tampering). Lag switch, flooding and bot timing are read from arrival times and are always visible.
 */
export function shapeSignatures(definition: unknown): Map<CheatKind, MissingSignature> {
  const roles = new Set<string>();
  const state = { constrained: false };
  collect(definition, roles, state);
  const missing = new Map<CheatKind, MissingSignature>();
  for (const [kind, need] of Object.entries(NEEDS) as [CheatKind, { roles: readonly string[]; reason: string }][]) {
    if (!need.roles.some((role) => roles.has(role))) missing.set(kind, { needs: [...need.roles], reason: need.reason });
  }
  if (!state.constrained) missing.set("tampering", { needs: ["enum/min/max/const field", "mac/checksum/AEAD"], reason: "no constrained field and no authentication: a tampered value is still a valid one" });
  return missing;
}
