import type { GameMessage, SerialNumber } from "@tickscope/core";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createRegionsAnalyzer } from "./regions-analyzer.js";
import { SequenceWindow } from "./session-tracker.js";

const HANDSHAKE = 2n ** 63n; // netcode starts its sequence here

function message(direction: GameMessage["direction"], tUs: number, roles: GameMessage["roles"], packetIndex: number): GameMessage {
  return { sessionId: "netcode", direction, tUs, packetIndex, indexInPacket: 0, type: "payload", byteLength: 40, packetWireLength: 82, fields: {}, roles };
}

/** The exact wire value a netcode sender puts in its prefix: numbers while safe, bigints beyond. */
function wire(value: bigint): SerialNumber {
  const wrapped = BigInt.asUintN(64, value);
  return wrapped <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(wrapped) : wrapped;
}

describe("SequenceWindow with 64-bit sequences", () => {
  afterEach(() => vi.restoreAllMocks());

  it("counts loss exactly from 2^63 (netcode's handshake) without hanging", () => {
    const window = new SequenceWindow(256, 64);
    for (let index = 0n; index < 1000n; index++) if (index % 10n !== 5n) window.add(HANDSHAKE + index);
    window.flush();
    expect(window.receivedCount).toBe(900);
    expect(window.lostCount).toBe(100); // 5, 15, …, 995
    expect(window.duplicateOrLateCount).toBe(0);
  });

  it("crosses the u64 wrap", () => {
    const window = new SequenceWindow(64, 64);
    for (let index = 0n; index < 200n; index++) if (index !== 100n) window.add(wire(2n ** 64n - 100n + index));
    window.flush();
    expect(window.receivedCount).toBe(199);
    expect(window.lostCount).toBe(1);
    expect(window.duplicateOrLateCount).toBe(0);
  });

  it("counts a jump far ahead in one step and treats a confirmed huge jump as a restart", () => {
    const window = new SequenceWindow(16, 32);
    window.add(0);
    window.add(900); // 899 lost, most of them never had a slot
    expect(window.lostCount).toBe(899 - 15);
    window.add(901);
    window.add(3_000_000_000); // beyond maxGap: held
    window.add(3_000_000_001); // continues it: a restart, not 3 billion lost sequences
    window.add(902); // late now
    window.flush();
    expect(window.restartCount).toBe(1);
    expect(window.lostCount).toBe(899);
    expect(window.receivedCount).toBe(5);
    expect(window.duplicateOrLateCount).toBe(1);
    window.add(3_000_000_002);
    window.add(5); // a lone outlier far away: late, not a restart
    window.add(3_000_000_003);
    window.flush();
    expect(window.restartCount).toBe(1);
    expect(window.duplicateOrLateCount).toBe(2);
  });

  it("does at most O(window) work per sequence on random 64-bit input (property)", () => {
    const retire = vi.spyOn(SequenceWindow.prototype as unknown as { retire: () => void }, "retire");
    fc.assert(
      fc.property(
        fc.constantFrom(8, 16, 32, 53, 64),
        fc.array(fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: -3000, max: 3000 })), { minLength: 1, maxLength: 200 }),
        (bits, steps) => {
          const windowSize = 32;
          const window = new SequenceWindow(windowSize, bits);
          let current = HANDSHAKE;
          for (const step of steps) {
            current = typeof step === "bigint" ? step : current + BigInt(step);
            retire.mockClear();
            window.add(wire(BigInt.asUintN(bits, current)));
            expect(retire.mock.calls.length).toBeLessThanOrEqual(2 * windowSize + 1);
          }
          retire.mockClear();
          window.flush();
          expect(retire.mock.calls.length).toBeLessThanOrEqual(windowSize);
          expect(Number.isSafeInteger(window.lostCount)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("regions analyzer on netcode-style u64 sequences", () => {
  it("finishes and measures loss and ack RTT on sequences from 2^63", () => {
    const analyzer = createRegionsAnalyzer({});
    analyzer.onSession!({
      id: "netcode",
      transport: "udp",
      client: { address: "198.51.100.7", port: 5000 },
      server: { address: "192.0.2.1", port: 40000 },
      firstUs: 0,
      lastUs: 0,
      clientToServer: { packets: 0, bytes: 0 },
      serverToClient: { packets: 0, bytes: 0 },
      region: "eu",
    });
    let packetIndex = 0;
    for (let index = 0n; index < 600n; index++) {
      const tUs = 1_700_000_000_000_000 + Number(index) * 50_000;
      if (index % 50n !== 7n) analyzer.onMessage(message("clientToServer", tUs, { sequence: HANDSHAKE + index, sequenceBits: 64 }, packetIndex++));
      analyzer.onMessage(message("serverToClient", tUs + 20_000, { sequence: HANDSHAKE + index, sequenceBits: 64, ack: HANDSHAKE + index }, packetIndex++));
    }
    const started = performance.now();
    const summary = analyzer.sessionSummaries()[0]!;
    analyzer.finish();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(summary.rttSamplesMs!.length).toBeGreaterThan(500);
    expect(Math.max(...summary.rttSamplesMs!)).toBeLessThan(21);
    // The worse direction: 12 of the client's 600 datagrams lost (every 50th).
    expect(summary.lossRate).toBeCloseTo(12 / 600, 5);
  });
});
