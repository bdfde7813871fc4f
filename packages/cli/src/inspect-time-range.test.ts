import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import { runInMemory } from "./test-support/run.js";

/** A one-packet little-endian pcapng whose only EPB is stamped `ticks` µs (an Ethernet/IPv4/UDP frame). */
function pcapngAt(ticks: bigint): Uint8Array {
  const shb = [0x0a0d0d0a, 28, 0x1a2b3c4d, 1, 0xffffffff, 0xffffffff, 28];
  const idb = [1, 20, 1, 0, 20];
  const frame = new Uint8Array(14 + 20 + 8 + 4);
  const frameView = new DataView(frame.buffer);
  frameView.setUint16(12, 0x0800);
  frame[14] = 0x45;
  frameView.setUint16(16, 32);
  frame[22] = 64;
  frame[23] = 17;
  frameView.setUint32(26, 0x0a000002);
  frameView.setUint32(30, 0x0a000001);
  frameView.setUint16(34, 50000);
  frameView.setUint16(36, 7777);
  frameView.setUint16(38, 12);
  const epbLength = 32 + ((frame.length + 3) & ~3);
  const out = new Uint8Array(28 + 20 + epbLength);
  const view = new DataView(out.buffer);
  shb.forEach((word, index) => view.setUint32(index * 4, word, true));
  view.setUint16(12, 1, true); // version 1.0
  view.setUint16(14, 0, true);
  idb.forEach((word, index) => view.setUint32(28 + index * 4, word, true));
  const epb = 48;
  view.setUint32(epb, 6, true);
  view.setUint32(epb + 4, epbLength, true);
  view.setUint32(epb + 8, 0, true);
  view.setUint32(epb + 12, Number(ticks >> 32n), true);
  view.setUint32(epb + 16, Number(ticks & 0xffffffffn), true);
  view.setUint32(epb + 20, frame.length, true);
  view.setUint32(epb + 24, frame.length, true);
  out.set(frame, epb + 28);
  view.setUint32(epb + epbLength - 4, epbLength, true);
  return out;
}

describe("inspect prints times outside the date range raw (issue 19 item 3)", () => {
  it("counts a timestamp near 2^64 µs as E_TIMESTAMP_OUT_OF_RANGE and gives it no first/last time (no span of 584,000 years)", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tickscope-inspect-time-"));
    const path = join(directory, "far-future.pcapng");
    writeFileSync(path, pcapngAt(2n ** 64n - 2n ** 20n));
    const run = await runInMemory(["inspect", path]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    // the capture's only frame is out of range: counted, but no first/last time
    expect(run.stdout).not.toMatch(/1844674407\d+ µs/);
    expect(run.stdout).toContain(`| ${path} | pcapng | 1 | 46 |  |  | 1 | E_TIMESTAMP_OUT_OF_RANGE×1 |`);
  });

  it.skipIf(!hasSharedCaptures)(`inspect ppp_pcapng-example.pcapng has no internal error (${hasSharedCaptures ? "shared capture" : sharedCapturesSkipReason})`, async () => {
    const run = await runInMemory(["inspect", sharedCapturePath("ppp_pcapng-example.pcapng")]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("E_TIMESTAMP_OUT_OF_RANGE");
    // the 100 frames near 2^64 µs stay out of the span: last is the latest in-range frame
    expect(run.stdout).toContain("| 2015-01-29T10:39:58.578Z | 2061-09-21T12:39:57.939Z (+1472003999.36 s) |");
  });
});
