import { describe, expect, it } from "vitest";
import { ErrorCode, formatTimeUs } from "@tickscope/core";
import { inspectCaptures } from "./inspect-captures.js";
import { readCapture } from "./read-capture.js";
import { simplePcapng, writePcapng } from "./test-support/capture-writer.js";
import { udpFrame } from "./test-support/packet-builder.js";

const T0 = 1_700_000_000_000_000;
const payload = (text: string) => new TextEncoder().encode(text);
const frame = (tUs: number, interfaceId = 0) => ({ tUs, interfaceId, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, payload("x")) });

describe("timestamps outside the date range (issue 19 item 3)", () => {
  it("counts E_TIMESTAMP_OUT_OF_RANGE for an interface whose times are near 2^64 µs, hands them on raw and leaves them out of first/last (the span)", async () => {
    // like ppp_pcapng-example.pcapng: interface 1 stamps its packets near 2^64 µs
    const capture = writePcapng([
      {
        interfaces: [{ linkType: 1 }, { linkType: 1 }],
        items: [
          { kind: "epb", frame: frame(T0) },
          { kind: "epb", frame: frame(2 ** 64 - 2 ** 20, 1) },
          { kind: "epb", frame: frame(T0 + 1000) },
        ],
      },
    ]);
    const deliveredUs: number[] = [];
    const summary = await readCapture(capture, { onPacket: (packet) => void deliveredUs.push(packet.tUs) });
    expect(deliveredUs).toEqual([T0, 2 ** 64 - 2 ** 20, T0 + 1000]);
    expect(summary.anomalies[ErrorCode.timestampOutOfRange]).toBe(1);
    expect(summary.anomalyDetails[ErrorCode.timestampOutOfRange].examples).toEqual([1]);
    // counted, handed on raw, but no first/last time: the span is the in-range frames'
    expect(summary.firstUs).toBe(T0);
    expect(summary.lastUs).toBe(T0 + 1000);
    const inspected = await inspectCaptures([capture]);
    expect(inspected.captures[0].anomalies[ErrorCode.timestampOutOfRange]).toBe(1);
  });

  it("counts one bit flip in the high word of a pcapng timestamp instead of failing later", async () => {
    const capture = simplePcapng([frame(T0), frame(T0 + 1), frame(T0 + 2)]);
    // first EPB starts after the SHB (28 bytes) and IDB (24 bytes); its timestamp high word is at +12
    const view = new DataView(capture.buffer, capture.byteOffset, capture.byteLength);
    const highOffset = 28 + 24 + 12;
    view.setUint32(highOffset, view.getUint32(highOffset, true) ^ 0x8000_0000, true);
    const summary = await readCapture(capture, { onPacket: () => {} });
    expect(summary.packets).toBe(3);
    expect(summary.anomalies[ErrorCode.timestampOutOfRange]).toBe(1);
    expect(() => formatTimeUs(summary.firstUs!)).not.toThrow();
    expect(() => formatTimeUs(summary.lastUs!)).not.toThrow();
  });

  it("does not count ordinary times, from 1970 on", async () => {
    const summary = await readCapture(simplePcapng([frame(0), frame(1.5), frame(T0)]), { onPacket: () => {} });
    expect(summary.anomalies).toEqual({});
  });
});
