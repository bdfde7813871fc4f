import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DecodeAnomaly } from "../analyzer.js";
import type { DatagramContext } from "../datagram-decoder.js";
import type { GameMessage } from "../game-message.js";
import type { CompiledProtocol, ProtocolDefinition } from "../protocol/index.js";

/** Folder of the shipped example definitions. */
export const examplesDirectory = fileURLToPath(new URL("../../../../examples/protocols/", import.meta.url));

/** Loads `examples/protocols/<name>.json` (a fresh object each call). */
export function loadExample(name: string): ProtocolDefinition {
  return JSON.parse(readFileSync(`${examplesDirectory}${name}.json`, "utf8")) as ProtocolDefinition;
}

/** A datagram context for tests. */
export function testContext(overrides: Partial<DatagramContext> = {}): DatagramContext {
  return { sessionId: "session", direction: "clientToServer", tUs: 1_000_000, packetIndex: 7, packetWireLength: 100, ...overrides };
}

/** Decodes one datagram, collecting messages and anomalies. */
export function decodeAll(protocol: CompiledProtocol, payload: Uint8Array, context: DatagramContext = testContext()): { messages: GameMessage[]; anomalies: DecodeAnomaly[] } {
  const messages: GameMessage[] = [];
  const anomalies: DecodeAnomaly[] = [];
  protocol.decodeDatagram(payload, context, (message) => messages.push(message), (anomaly) => anomalies.push(anomaly));
  return { messages, anomalies };
}

/** A tiny deterministic PRNG (mulberry32) for fuzz inputs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * What a decoder must handle like any other decoder of the same protocol: the
 * datagram cut at every byte, with one bit flipped per entry of `corruptions`
 * (at `corruption % length`, bit `corruption % 8`), and whole as a view inside
 * a larger buffer (reads whose 32-bit window passes the view's end but stays
 * inside its buffer).
 */
export function datagramVariants(bytes: Uint8Array, corruptions: readonly number[]): Uint8Array[] {
  const variants: Uint8Array[] = [];
  for (let cut = 0; cut <= bytes.length; cut++) variants.push(bytes.slice(0, cut));
  for (const corruption of corruptions) {
    const changed = bytes.slice();
    if (changed.length > 0) changed[corruption % changed.length] ^= 1 << corruption % 8;
    variants.push(changed);
  }
  const padded = new Uint8Array(bytes.length + 8);
  padded.set(bytes, 3);
  variants.push(padded.subarray(3, 3 + bytes.length));
  return variants;
}
