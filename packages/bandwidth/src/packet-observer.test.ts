import { describe, expect, it } from "vitest";
import type { PacketObservation } from "@tickscope/core";
import { PacketObserver } from "./packet-observer.js";

const LONG_PAYLOAD_BYTES = 1500;

const options = {
  maxSampleBytes: 25,
  maxSamplePackets: 10,
  duplicateWindow: 2,
  captureDuplicateWindowUs: 10_000,
  aggregationWindowUs: 10_000,
  maxAggregatePayloadBytes: 100,
  aggregationFramingBytes: 2,
};

function packet(packetIndex: number, tUs: number, payload: number[] | undefined, payloadLength = payload?.length ?? 10): PacketObservation {
  const observation: PacketObservation = { sessionId: "s", direction: "serverToClient", tUs, packetIndex, wireLength: payloadLength + 42, payloadLength, frameCount: 1 };
  if (payload !== undefined) observation.payload = new Uint8Array(payload);
  return observation;
}

describe("PacketObserver", () => {
  it("finds byte-identical duplicates within the recent window", () => {
    const observer = new PacketObserver(options);
    observer.onPacket(packet(0, 0, [1, 2, 3]));
    observer.onPacket(packet(1, 100_000, [1, 2, 3]));
    observer.onPacket(packet(2, 200_000, [4]));
    observer.onPacket(packet(3, 300_000, [5]));
    observer.onPacket(packet(4, 400_000, [1, 2, 3])); // fell out of the 2-entry window
    observer.onPacket(packet(5, 500_000, [5]));
    expect(observer.duplicatePackets).toBe(2);
    expect(observer.duplicateWireBytes).toBe(45 + 43);
    expect(observer.duplicateExamples).toEqual([1, 5]);
  });

  it("counts exactly the injected duplicates among same-length payloads that differ in one inner byte, short and long", () => {
    let state = 12345;
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 16;
    };
    const observer = new PacketObserver({ ...options, duplicateWindow: 32, maxSamplePackets: 0 });
    const history: number[][] = [];
    let injected = 0;
    for (let index = 0; index < 3000; index++) {
      let payload: number[];
      if (history.length > 0 && random() % 10 === 0) {
        payload = history[history.length - 1 - (random() % Math.min(8, history.length))]!;
        injected += 1;
      } else {
        const length = random() % 4 === 0 ? LONG_PAYLOAD_BYTES + 1 + (random() % 300) : 100 + (random() % 3);
        // Same length, same first/middle/last bytes: only a byte in between tells them apart.
        payload = Array.from({ length }, () => 7);
        payload[20] = index & 0xff;
        payload[21] = index >> 8;
        history.push(payload);
      }
      observer.onPacket({ sessionId: "s", direction: "clientToServer", tUs: index, packetIndex: index, wireLength: payload.length + 42, payloadLength: payload.length, frameCount: 1, payload: new Uint8Array(payload) });
    }
    expect(injected).toBeGreaterThan(200);
    expect(observer.duplicatePackets).toBe(injected);
    const without = new PacketObserver({ ...options, duplicateWindow: 0 });
    without.onPacket(packet(0, 0, [1, 2, 3]));
    without.onPacket(packet(1, 1, [1, 2, 3]));
    without.onPacket(packet(2, 2, Array.from({ length: LONG_PAYLOAD_BYTES + 1 }, () => 1)));
    expect(without.duplicatePackets).toBe(0);
  });

  it("finds a repeat by its fingerprint filter exactly as by scanning the window: evicted datagrams leave it, same-bucket fingerprints still compare bytes", () => {
    const window = 8;
    const observer = new PacketObserver({ ...options, duplicateWindow: window });
    // Reference: a plain scan of the last `window` new datagrams (by content).
    const recent: string[] = [];
    let expected = 0;
    let state = 7;
    for (let index = 0; index < 3000; index++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      // Few distinct payloads (many repeats, many shared fingerprint low bytes), two lengths.
      const payload = [state % 23, (state >>> 8) % 3, ...(state % 5 === 0 ? [9] : [])];
      const key = payload.join(",");
      if (recent.includes(key)) expected += 1;
      else {
        recent.push(key);
        if (recent.length > window) recent.shift();
      }
      observer.onPacket(packet(index, index * 1_000_000, payload));
    }
    expect(expected).toBeGreaterThan(100);
    expect(observer.duplicatePackets).toBe(expected);
    // Saved and restored, the window (and its filter) continues alike.
    const state2 = observer.saveState();
    const restored = new PacketObserver({ ...options, duplicateWindow: window });
    restored.mergeState(state2, PacketObserver.decodeSamples(state2, restored.options, "/observer", (path, problem) => new Error(`${path}: ${problem}`)), 0);
    const last = recent[recent.length - 1]!.split(",").map(Number);
    restored.onPacket({ ...packet(5000, 5_000_000_000, last), sessionId: "s" });
    expect(restored.duplicatePackets).toBe(expected + 1);
  });

  it("aggregates datagrams of a stream within the window and MTU, exactly", () => {
    const observer = new PacketObserver(options);
    observer.onPacket(packet(0, 0, undefined, 40)); // opens a group: 82
    observer.onPacket(packet(1, 5_000, undefined, 40)); // joins: 42 (payload 40 + 2 framing)
    observer.onPacket(packet(2, 8_000, undefined, 40)); // would exceed 100 payload bytes: new group 82
    observer.onPacket(packet(3, 30_000, undefined, 10)); // outside the window: new group 52
    expect(observer.packets).toBe(4);
    expect(observer.wireBytes).toBe(82 * 3 + 52);
    expect(observer.aggregatedPackets).toBe(3);
    expect(observer.aggregatedWireBytes).toBe(82 + 42 + 82 + 52);
    expect(observer.samples).toEqual([]);
  });

  it("samples payload copies and labels them with the first message type", () => {
    const observer = new PacketObserver({ ...options, maxSampleBytes: 1000 });
    const first = packet(0, 0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    observer.onPacket(first);
    first.payload![0] = 99;
    const message = { sessionId: "s", direction: "serverToClient" as const, tUs: 0, packetIndex: 0, indexInPacket: 0, type: "snap", byteLength: 10, packetWireLength: 52, fields: {}, roles: {} };
    observer.onMessage(message);
    observer.onMessage({ ...message, type: "second", indexInPacket: 1 });
    observer.onPacket(packet(1, 1, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    observer.onPacket(packet(2, 2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]));
    observer.onMessage({ ...message, packetIndex: 2, type: "third" });
    expect(observer.samples.map((sample) => [sample.streamKey, sample.packetIndex, sample.payload.length, sample.firstMessageType])).toEqual([
      ["s\u0000serverToClient", 0, 10, "snap"],
      ["s\u0000serverToClient", 1, 11, undefined],
      ["s\u0000serverToClient", 2, 15, "third"],
    ]);
    expect(observer.samples[0]!.payload[0]).toBe(1);
    expect(observer.packetsWithPayload).toBe(3);
    expect(observer.sampler.offered).toBe(3);
  });

  it("keeps the sample within its byte bound", () => {
    const observer = new PacketObserver(options);
    for (let index = 0; index < 50; index++) observer.onPacket(packet(index, index, [index, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const bytes = observer.samples.reduce((total, sample) => total + sample.payload.length, 0);
    expect(bytes).toBeLessThanOrEqual(options.maxSampleBytes);
    expect(observer.samples.length).toBeGreaterThan(0);
    expect(observer.sampler.offered).toBe(50);
  });
});
