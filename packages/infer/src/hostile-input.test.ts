import { describe, expect, it } from "vitest";
import { createRandom } from "@tickscope/core";
import { formatInference, inferProtocol, type InferenceFlow } from "./index.js";

/** A session of `count` datagrams per direction at 30 Hz whose payloads `payload(index, direction)` builds. */
function session(id: string, count: number, payload: (index: number, direction: 0 | 1) => Uint8Array): InferenceFlow {
  const datagrams: InferenceFlow["datagrams"] = [];
  for (let index = 0; index < count; index++) {
    datagrams.push({ tUs: 1.7e15 + index * 33_333, direction: "clientToServer", payload: payload(index, 0) });
    datagrams.push({ tUs: 1.7e15 + index * 33_333 + 9_000, direction: "serverToClient", payload: payload(index, 1) });
  }
  return { sessionId: id, datagrams };
}

describe("hostile input: nothing found, with the evidence", () => {
  it("random bytes (every length 20–200)", () => {
    const random = createRandom(1);
    const flows = [0, 1, 2].map((flow) =>
      session(`s${flow}`, 600, () => {
        const bytes = new Uint8Array(20 + Math.floor(random.next() * 180));
        for (let index = 0; index < bytes.length; index++) bytes[index] = Math.floor(random.next() * 256);
        return bytes;
      }),
    );
    const inference = inferProtocol(flows);
    expect(inference.found).toBe(false);
    expect(inference.definition).toBeUndefined();
    expect(inference.fields.filter((field) => field.role !== "messageType")).toEqual([]);
    expect(inference.notes.join(" ")).toContain("no datagram sequence");
    expect(formatInference(inference)).toContain("nothing found");
  });

  it("encrypted noise behind a fixed length (no structure but the length)", () => {
    const random = createRandom(2);
    const inference = inferProtocol([
      session("s", 800, () => {
        const bytes = new Uint8Array(64);
        for (let index = 0; index < bytes.length; index++) bytes[index] = Math.floor(random.next() * 256);
        return bytes;
      }),
    ]);
    expect(inference.found).toBe(false);
    expect(inference.notes.join(" ")).toMatch(/encrypted or compressed \([78]\.\d+ bits/);
  });

  it("constant payloads", () => {
    const inference = inferProtocol([session("s", 300, () => Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]))]);
    expect(inference.found).toBe(false);
    expect(inference.notes[0]).toContain("identical");
  });

  it("one-packet flows and empty input", () => {
    const flows: InferenceFlow[] = Array.from({ length: 20 }, (_, index) => ({
      sessionId: `one${index}`,
      datagrams: [{ tUs: 1.7e15 + index, direction: "clientToServer", payload: Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x54, index]) }],
    }));
    const single = inferProtocol(flows);
    expect(single.found).toBe(false);
    expect(single.fields.filter((field) => field.role !== "magic" && field.role !== "constant" && field.role !== "messageType")).toEqual([]);
    const empty = inferProtocol([]);
    expect(empty.found).toBe(false);
    expect(empty.notes).toEqual(["no UDP datagrams to infer from"]);
    const two = inferProtocol([session("s", 1, () => Uint8Array.from([9]))]);
    expect(two.found).toBe(false);
  });

  it("a counter that steps with time, not per datagram, is not taken for a sequence", () => {
    // a 10 Hz tick counter sent at 30 Hz: steps 0,0,1 — never a datagram sequence
    const inference = inferProtocol([
      session("s", 900, (index) => {
        const bytes = new Uint8Array(12);
        new DataView(bytes.buffer).setUint32(0, Math.floor(index / 3));
        return bytes;
      }),
    ]);
    expect(inference.fields.some((field) => field.role === "sequence")).toBe(false);
  });
});
