import { describe, expect, it } from "vitest";
import { compileProtocol } from "@tickscope/core/protocol";
import { createRandom } from "@tickscope/core";
import { formatInference, inferenceToJson, inferProtocol, type InferenceFlow } from "./index.js";

const random = createRandom(9);
const noise = (length: number) => Uint8Array.from({ length }, () => Math.floor(random.next() * 256));

/** netcode-style datagrams: prefix byte (sequence byte count << 4 | packet type), the sequence LE in that many bytes, encrypted rest. */
function netcodeDatagram(sequence: number, type: number): Uint8Array {
  const bytes: number[] = [];
  let value = sequence;
  do {
    bytes.push(value % 256);
    value = Math.floor(value / 256);
  } while (value > 0);
  return Uint8Array.from([(bytes.length << 4) | type, ...bytes, ...noise(40 + Math.floor(random.next() * 40))]);
}

describe("plaintext prefixes and selector-gated fields", () => {
  it("finds netcode's prefix byte and variable-length sequence in otherwise encrypted datagrams", () => {
    const flows: InferenceFlow[] = [0, 1].map((session) => {
      const datagrams: InferenceFlow["datagrams"] = [];
      for (let index = 0; index < 400; index++) {
        // sequences cross 255 → 256 (one to two bytes) and 65535 → 65536 (two to three)
        datagrams.push({ tUs: 1.7e15 + index * 16_000, direction: "clientToServer", payload: netcodeDatagram(65_400 + index, 5) });
        datagrams.push({ tUs: 1.7e15 + index * 16_000 + 5_000, direction: "serverToClient", payload: netcodeDatagram(150 + index + session, index % 10 === 0 ? 4 : 5) });
      }
      return { sessionId: `s${session}`, datagrams };
    });
    const inference = inferProtocol(flows);
    expect(inference.found).toBe(true);
    const sequence = inference.fields.find((field) => field.role === "sequence")!;
    expect(sequence).toMatchObject({ offset: 1, littleEndian: true, variableLength: { countField: "sequenceBytes", typeField: "packetType" } });
    expect(inference.definition!.header![2]).toMatchObject({ name: "sequence", byteLength: { field: "sequenceBytes" }, byteOrder: "little", role: "sequence" });
    // the draft decodes the sequence
    const protocol = compileProtocol(inference.definition!);
    const sequences: unknown[] = [];
    protocol.decodeDatagram(netcodeDatagram(70_000, 5), { sessionId: "s", direction: "clientToServer", tUs: 0, packetIndex: 0, packetWireLength: 0 }, (message) => sequences.push(message.roles.sequence), () => {});
    expect(sequences).toEqual([70_000]);
    expect(inference.notes.join(" ")).toContain("netcode");
    expect(formatInference(inference)).toContain("uint LE @1 (1–8 bytes)");
  });

  it("finds a sequence that only data datagrams carry (RakNet-like: 0x84 + u24 LE), gated by the first byte", () => {
    const flows: InferenceFlow[] = [0, 1, 2].map((session) => {
      const datagrams: InferenceFlow["datagrams"] = [];
      const next = [0, 0];
      for (let index = 0; index < 60; index++) {
        for (const direction of [0, 1] as const) {
          const tUs = 1.7e15 + index * 20_000 + direction * 7_000;
          if (index % 3 === 2) {
            // an ACK datagram: 0xc0, record count, ranges
            datagrams.push({ tUs, direction: direction === 0 ? "clientToServer" : "serverToClient", payload: Uint8Array.from([0xc0, 0, 1, 1, ...noise(3)]) });
            continue;
          }
          const sequence = next[direction]!++;
          datagrams.push({ tUs, direction: direction === 0 ? "clientToServer" : "serverToClient", payload: Uint8Array.from([0x84, sequence & 255, (sequence >> 8) & 255, 0, ...noise(20 + (index % 7))]) });
        }
      }
      return { sessionId: `r${session}`, datagrams };
    });
    const inference = inferProtocol(flows);
    expect(inference.found).toBe(true);
    expect(inference.selector).toMatchObject({ values: [0x84] });
    const sequence = inference.fields.find((field) => field.role === "sequence")!;
    expect(sequence).toMatchObject({ offset: 1, littleEndian: true, when: { in: [0x84] } });
    const json = inferenceToJson(inference);
    expect(json.selector).toBeDefined();
    expect(() => compileProtocol(inference.definition!)).not.toThrow();
    expect(formatInference(inference)).toContain("when");
  });
});
