import { describe, expect, it } from "vitest";
import { PayloadSampler, packetHash } from "./payload-sampler.js";

function run(sampler: PayloadSampler, packets: number, bytes = 100): void {
  const payload = new Uint8Array(bytes);
  for (let index = 0; index < packets; index++) sampler.offer("s", index % 2 === 0 ? "clientToServer" : "serverToClient", index, index * 1000, payload);
}

describe("PayloadSampler", () => {
  it("keeps every datagram while within bounds, then a seeded Bernoulli sample spread over the capture", () => {
    const all = new PayloadSampler(1000, 1 << 20);
    run(all, 500);
    expect(all.samples.length).toBe(500);
    expect(all.level).toBe(0);
    expect(all.rate).toBe(1);

    const sampler = new PayloadSampler(1000, 1 << 20);
    run(sampler, 100_000);
    expect(sampler.offered).toBe(100_000);
    expect(sampler.offeredBytes).toBe(10_000_000);
    expect(sampler.samples.length).toBeLessThanOrEqual(1000);
    // 100 000 / 2^level expected; the sample holds between a quarter and the bound of it.
    expect(sampler.samples.length).toBeGreaterThan(100_000 * sampler.rate * 0.75);
    const indices = sampler.samples.map((sample) => sample.packetIndex);
    expect(indices).toEqual([...indices].sort((a, b) => a - b));
    // Spread: both halves of the capture are represented about equally.
    const firstHalf = indices.filter((index) => index < 50_000).length;
    expect(firstHalf / indices.length).toBeGreaterThan(0.4);
    expect(firstHalf / indices.length).toBeLessThan(0.6);
    expect(sampler.samples[0]!.streamKey).toMatch(/^s\u0000(clientToServer|serverToClient)$/);

    // Deterministic: the same capture gives the same sample.
    const again = new PayloadSampler(1000, 1 << 20);
    run(again, 100_000);
    expect(again.samples.map((sample) => sample.packetIndex)).toEqual(indices);
  });

  it("respects the byte bound, skips oversized payloads and samples nothing when the packet bound is 0", () => {
    const sampler = new PayloadSampler(1000, 5000);
    run(sampler, 2000);
    expect(sampler.samples.reduce((total, sample) => total + sample.payload.length, 0)).toBeLessThanOrEqual(5000);
    expect(sampler.offer("s", "clientToServer", 5, 0, new Uint8Array(6000))).toBeUndefined();
    const none = new PayloadSampler(0, 5000);
    run(none, 10);
    expect(none.samples).toEqual([]);
    expect(none.offered).toBe(10);
    // A bound of one datagram still terminates (levels rise past 32: nothing qualifies).
    const tiny = new PayloadSampler(1, 1 << 20);
    run(tiny, 50);
    expect(tiny.samples.length).toBeLessThanOrEqual(1);
  });

  it("keeps exact copies while it thins (copies are carved from shared blocks and moved when the level rises)", () => {
    const sampler = new PayloadSampler(300, 40_000);
    const source = new Uint8Array(200);
    for (let index = 0; index < 20_000; index++) {
      const length = 1 + (index % 199);
      for (let byte = 0; byte < length; byte++) source[byte] = (index + byte * 31) & 255;
      sampler.offer("s", "clientToServer", index, index * 1000, source.subarray(0, length), undefined, "s\u0000clientToServer");
      source.fill(0);
    }
    expect(sampler.level).toBeGreaterThan(3);
    expect(sampler.samples.length).toBeGreaterThan(0);
    for (const sample of sampler.samples) {
      const length = 1 + (sample.packetIndex % 199);
      expect(sample.payload.length).toBe(length);
      expect([...sample.payload]).toEqual(Array.from({ length }, (_, byte) => (sample.packetIndex + byte * 31) & 255));
      expect(sample.streamKey).toBe("s\u0000clientToServer");
    }
    // A payload larger than a copy block (and within the byte bound) is copied on its own.
    const large = new PayloadSampler(10, 1 << 20);
    const big = new Uint8Array(70_000).fill(7);
    expect(large.offer("s", "d", 0, 0, big)!.payload).toEqual(big);
  });

  it("hashes indices beyond 2^32 and with other seeds differently", () => {
    expect(packetHash(1)).not.toBe(packetHash(1 + 2 ** 32));
    expect(packetHash(1, 1)).not.toBe(packetHash(1, 2));
    expect(packetHash(7)).toBe(packetHash(7));
  });
});
