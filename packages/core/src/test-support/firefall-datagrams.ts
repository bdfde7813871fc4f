import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ProtocolDefinition } from "../protocol/index.js";

/** The shipped Firefall definition. */
export function firefallDefinition(): ProtocolDefinition {
  return JSON.parse(readFileSync(fileURLToPath(new URL("../../../../examples/protocols/firefall.json", import.meta.url)), "utf8")) as ProtocolDefinition;
}

/**
 * Generates Firefall-style datagrams with the traffic mix of the 1869 capture:
 * mostly unreliable GSS packets (channel 3), some reliable GSS / matrix packets
 * (a few resent, XOR-obfuscated), control acks and time syncs; 1-3 packets per
 * datagram. Deterministic (xorshift).
 */
export function generateFirefallDatagrams(count: number, seed = 1869): { datagrams: Uint8Array[]; serverToClient: boolean[] } {
  let state = seed >>> 0 || 1;
  const random = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const sequences = [0, 0, 0, 0];
  const datagrams: Uint8Array[] = [];
  const serverToClient: boolean[] = [];
  const xorKeys = [0, 0xff, 0xaa, 0xcc];
  for (let index = 0; index < count; index++) {
    const packets: number[][] = [];
    const packetCount = random() < 0.7 ? 1 : random() < 0.7 ? 2 : 3;
    for (let packet = 0; packet < packetCount; packet++) {
      const roll = random();
      if (roll < 0.08) {
        // control: gss ack (5 bytes) or time sync request (9 bytes)
        const body = roll < 0.06 ? [3, 0, 1, 0, 2] : [4, 1, 2, 3, 4, 5, 6, 7, 8];
        const length = 2 + body.length;
        packets.push([length >> 8, length & 0xff, ...body]);
        continue;
      }
      const channel = roll < 0.12 ? 1 : roll < 0.25 ? 2 : 3;
      const resend = channel !== 3 && random() < 0.05 ? (random() < 0.5 ? 1 : 3) : 0;
      const bodyLength = 4 + Math.floor(random() * 60);
      const length = 4 + bodyLength;
      const sequence = (sequences[channel] = (sequences[channel] + 1) & 0xffff);
      const header = (channel << 14) | (resend << 12) | length;
      const body = Array.from({ length: bodyLength }, () => Math.floor(random() * 256) ^ xorKeys[resend]);
      packets.push([header >> 8, header & 0xff, sequence >> 8, sequence & 0xff, ...body]);
    }
    datagrams.push(Uint8Array.from([0x87, 0x11, 0x06, 0x28, ...packets.flat()]));
    serverToClient.push(random() < 0.84);
  }
  return { datagrams, serverToClient };
}
