import { describe, expect, it } from "vitest";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import { inferProtocol, type InferredField } from "./index.js";
import { captureFlows } from "./test-support/capture-flows.js";

if (!hasSharedCaptures) console.warn(`infer real-capture tests ${sharedCapturesSkipReason}`);

const shape = (field: InferredField | undefined) => field && { offset: field.offset, bytes: field.bytes, littleEndian: field.littleEndian };

/** Documented layouts of the public captures in ../shared, checked where the capture carries them. */
describe.skipIf(!hasSharedCaptures)("real captures against their documented layouts", () => {
  it("KCP (ndpi_kcp): ts u32 LE @8 in ms, sn u32 LE @12, len u32 LE @20 in the segments of conversation 0x0a", async () => {
    const inference = inferProtocol(await captureFlows(sharedCapturePath("ndpi_kcp.pcap")));
    const byRole = (role: string) => inference.fields.find((field) => field.role === role);
    expect(shape(byRole("sendTime"))).toEqual({ offset: 8, bytes: 4, littleEndian: true });
    expect(byRole("sendTime")!.unit).toBe("ms");
    expect(shape(byRole("sequence"))).toEqual({ offset: 12, bytes: 4, littleEndian: true });
    expect(shape(byRole("length"))).toEqual({ offset: 20, bytes: 4, littleEndian: true });
    expect(byRole("length")!.lengthOffset).toBe(24); // len counts the bytes after the 24-byte header
    expect(inference.selector?.values).toEqual([0x0a]);
  });

  it("RakNet (ndpi_raknet): the datagram sequence u24 LE after the flags byte of data datagrams (0x84)", async () => {
    const inference = inferProtocol(await captureFlows(sharedCapturePath("ndpi_raknet.pcap")));
    const sequence = inference.fields.find((field) => field.role === "sequence");
    expect(shape(sequence)).toEqual({ offset: 1, bytes: 3, littleEndian: true });
    expect(sequence!.when?.in).toEqual([0x84]);
  });

  it("Firefall 1869: the socket id u32 BE @0 identifies the session; no fixed-offset datagram sequence (per-channel sequences sit behind variable packet headers)", async () => {
    const inference = inferProtocol(await captureFlows(sharedCapturePath("firefall_1869_gameplay.pcapng")));
    expect(shape(inference.fields.find((field) => field.role === "sessionId"))).toEqual({ offset: 0, bytes: 4, littleEndian: false });
    expect(inference.fields.some((field) => field.role === "sequence")).toBe(false);
  });

  it("Source engine queries (single identical datagrams) and TeamSpeak 3 init packets (13, one direction): nothing found", async () => {
    expect(inferProtocol(await captureFlows(sharedCapturePath("ndpi_source_engine.pcap"))).found).toBe(false);
    expect(inferProtocol(await captureFlows(sharedCapturePath("ndpi_teamspeak3.pcap"), { serverPorts: [9987] })).found).toBe(false);
  });
});
