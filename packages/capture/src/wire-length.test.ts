import { describe, expect, it } from "vitest";
import { ErrorCode } from "@tickscope/core";
import { readCapture, type PcapEngine } from "./read-capture.js";
import { MAXIMUM_WIRE_FRAME_BYTES } from "./frame-sink.js";
import { simplePcapng, writePcap } from "./test-support/capture-writer.js";
import { udpFrame } from "./test-support/packet-builder.js";

const T0 = 1_700_000_000_000_000;
const data = () => udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, new TextEncoder().encode("hello"));

describe("impossible wire lengths (like ndpi_fuzz-2021-10-13.pcap: 524501 declared bytes in a 239-byte file)", () => {
  for (const engine of ["pcap-parser", "builtin"] as PcapEngine[]) {
    it(`${engine}: counts E_BAD_WIRE_LENGTH where the record lies and sums the captured length instead`, async () => {
      const frame = data();
      const capture = writePcap([
        { tUs: T0, data: frame },
        { tUs: T0 + 1, data: frame, wireLength: 524_501 },
        { tUs: T0 + 2, data: frame, wireLength: frame.length - 1 },
        { tUs: T0 + 3, data: frame, wireLength: frame.length + 100 },
      ]);
      let delivered = 0;
      const summary = await readCapture(capture, { onPacket: () => void delivered++, pcapEngine: engine });
      expect(summary.packets).toBe(4);
      expect(delivered).toBe(4);
      expect(summary.bytes).toBe(3 * frame.length + frame.length + 100);
      expect(summary.anomalies[ErrorCode.badWireLength]).toBe(2);
      expect(summary.anomalyDetails[ErrorCode.badWireLength].examples).toEqual([1, 2]);
      // a snapshot-length cut (wire > captured, plausible) stays a counted truncation, not an error
      expect(summary.snaplenTruncatedFrames).toBe(1);
    });
  }

  it("keeps a wire length up to the largest link frame (262144 bytes)", async () => {
    const frame = data();
    const summary = await readCapture(simplePcapng([{ tUs: T0, data: frame, wireLength: MAXIMUM_WIRE_FRAME_BYTES }]), { onPacket: () => {} });
    expect(summary.bytes).toBe(MAXIMUM_WIRE_FRAME_BYTES);
    expect(summary.anomalies).toEqual({});
  });
});
