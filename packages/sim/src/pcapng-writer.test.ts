import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasErrorCode, type Packet } from "@tickscope/core";
import { readCapture } from "@tickscope/capture";
import { FileSink, MemorySink, TextSink } from "./byte-sink.js";
import { finishChecksum, PcapngWriter, sumWords } from "./pcapng-writer.js";
import { createUdpEndpoint } from "./udp-endpoint.js";
import { hasWiresharkTools, runWithStderr, temporaryDirectory, wiresharkSkipReason } from "./test-support/tools.js";

const T0 = 1_767_225_600_000_000;

function writeSample(sink: MemorySink | FileSink, count: number): { payloads: Uint8Array[]; times: number[] } {
  const writer = new PcapngWriter(sink, { bufferBytes: 1 });
  const client4 = createUdpEndpoint("100.64.0.1", 40000);
  const server4 = createUdpEndpoint("203.0.113.10", 7777);
  const client6 = createUdpEndpoint("2001:db8:c::1", 40001);
  const server6 = createUdpEndpoint("2001:db8:a::1", 7777);
  const payloads: Uint8Array[] = [];
  const times: number[] = [];
  for (let index = 0; index < count; index++) {
    const payload = new Uint8Array((index * 37) % 1400 + 1);
    for (let byte = 0; byte < payload.length; byte++) payload[byte] = (index * 7 + byte) & 0xff;
    const tUs = T0 + index * 1234.5;
    const ipv6 = index % 3 === 0;
    writer.writeUdp(tUs, ipv6 ? client6 : client4, ipv6 ? server6 : server4, payload, 50);
    payloads.push(payload);
    times.push(tUs);
  }
  expect(writer.packetCount).toBe(count);
  writer.close();
  writer.close();
  return { payloads, times };
}

describe("PcapngWriter", () => {
  it("writes SHB, IDB with if_tsresol = 9 and EPBs that the capture reader reads back exactly", async () => {
    const sink = new MemorySink();
    const { payloads, times } = writeSample(sink, 500);
    const bytes = sink.toUint8Array();
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(0, true)).toBe(0x0a0d0d0a);
    expect(view.getUint32(8, true)).toBe(0x1a2b3c4d);
    const shbLength = view.getUint32(4, true);
    expect(view.getUint32(shbLength - 4, true)).toBe(shbLength);
    expect(view.getUint32(shbLength, true)).toBe(1); // IDB
    expect(view.getUint16(shbLength + 8, true)).toBe(1); // Ethernet
    const idbLength = view.getUint32(shbLength + 4, true);
    const idb = bytes.subarray(shbLength, shbLength + idbLength);
    const resolutionOption = Buffer.from(idb).indexOf(Buffer.from([9, 0, 1, 0, 9]));
    expect(resolutionOption).toBeGreaterThan(0);
    const packets: Packet[] = [];
    const summary = await readCapture(bytes, { onPacket: (packet) => packets.push({ ...packet, payload: packet.payload.slice() }) });
    expect(summary.format).toBe("pcapng");
    expect(summary.packets).toBe(500);
    expect(summary.anomalies).toEqual({});
    expect(packets).toHaveLength(500);
    packets.forEach((packet, index) => {
      expect(Math.abs(packet.tUs - times[index])).toBeLessThan(0.5);
      expect(Array.from(packet.payload)).toEqual(Array.from(payloads[index]));
      expect(packet.ipVersion).toBe(index % 3 === 0 ? 6 : 4);
      expect(packet.destinationPort).toBe(7777);
      expect(packet.sourceAddress).toBe(index % 3 === 0 ? "2001:db8:c::1" : "100.64.0.1");
    });
  });

  it("computes valid IPv4 header and UDP checksums", () => {
    const sink = new MemorySink();
    const writer = new PcapngWriter(sink);
    const payload = new Uint8Array([1, 2, 3]);
    writer.writeUdp(T0, createUdpEndpoint("10.0.0.1", 1000), createUdpEndpoint("10.0.0.2", 2000), payload);
    writer.flush();
    const bytes = sink.toUint8Array();
    const view = new DataView(bytes.buffer);
    const epb = view.getUint32(4, true) + view.getUint32(view.getUint32(4, true) + 4, true);
    const frame = epb + 28;
    const ip = frame + 14;
    expect(finishChecksum(sumWords(bytes, ip, 20, 0))).toBe(0); // header checksum verifies to 0
    const udp = ip + 20;
    let sum = 17 + 11;
    sum = sumWords(bytes, ip + 12, 8, sum); // source + destination addresses
    sum = sumWords(bytes, udp, 11, sum);
    expect(finishChecksum(sum)).toBe(0);
    expect(view.getUint16(udp + 4)).toBe(11);
    expect(view.getUint16(ip + 2)).toBe(31);
    writer.close();
  });

  it("rejects bad input with typed errors", () => {
    const writer = new PcapngWriter(new MemorySink());
    const v4 = createUdpEndpoint("10.0.0.1", 1);
    const v6 = createUdpEndpoint("::1", 1);
    expect(() => writer.writeUdp(T0, v4, v6, new Uint8Array(1))).toThrow(/IP versions differ/);
    expect(() => writer.writeUdp(T0, v4, v4, new Uint8Array(70000))).toThrow(/too large/);
    writer.close();
    try {
      writer.writeUdp(T0, v4, v4, new Uint8Array(1));
      throw new Error("expected a throw");
    } catch (error) {
      expect(hasErrorCode(error, "E_INVALID_OPTION")).toBe(true);
    }
    expect(() => createUdpEndpoint("10.0.0.256", 1)).toThrow(/invalid IP address/);
    expect(() => createUdpEndpoint("1.2.3", 1)).toThrow(/invalid IP address/);
    expect(() => createUdpEndpoint("10.0.0.1", 70000)).toThrow(/invalid UDP port/);
    expect(() => createUdpEndpoint("1::2::3", 1)).toThrow(/invalid IP address/);
    expect(() => createUdpEndpoint("1:2:3", 1)).toThrow(/invalid IP address/);
    expect(() => createUdpEndpoint("12345::1", 1)).toThrow(/invalid IP address/);
    expect(() => createUdpEndpoint("1:2:3:4:5:6:7:8:9", 1)).toThrow(/invalid IP address/);
    expect(createUdpEndpoint("::", 1).addressBytes).toEqual(new Uint8Array(16));
    expect(createUdpEndpoint("fe80::1:2", 1).addressBytes[15]).toBe(2);
  });

  it("streams to files with constant memory and text sinks buffer lines", () => {
    const directory = temporaryDirectory();
    const path = join(directory, "sample.pcapng");
    const sink = new FileSink(path);
    writeSample(sink, 300);
    sink.close();
    expect(() => sink.write(new Uint8Array(1))).toThrow(/closed/);
    const memory = new MemorySink();
    writeSample(memory, 300);
    expect(readFileSync(path).equals(Buffer.from(memory.toUint8Array()))).toBe(true);
    expect(() => new FileSink(join(directory, "missing", "x"))).toThrow(/cannot create/);
    const textTarget = new MemorySink();
    const text = new TextSink(textTarget, 4);
    text.write("ab");
    expect(textTarget.byteLength).toBe(0);
    text.write("cd\n");
    expect(textTarget.toText()).toBe("abcd\n");
    text.write("é");
    text.close();
    text.flush();
    expect(textTarget.toText()).toBe("abcd\né");
  });

  it.skipIf(!hasWiresharkTools)("opens in tshark and capinfos without warnings", () => {
    const directory = temporaryDirectory();
    const path = join(directory, "tools.pcapng");
    const sink = new FileSink(path);
    writeSample(sink, 200);
    const capinfos = runWithStderr("capinfos", ["-c", "-M", "-T", path]);
    expect(capinfos.stderr).toBe("");
    expect(capinfos.stdout).toContain("\t200");
    const tshark = runWithStderr("tshark", ["-r", path, "-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-T", "fields", "-e", "udp.checksum.status", "-e", "_ws.expert.severity"]);
    expect(tshark.stderr).toBe("");
    const lines = tshark.stdout.trim().split("\n");
    expect(lines).toHaveLength(200);
    expect(lines.every((line) => line.trim() === "1")).toBe(true); // checksum "Good", no expert info
  });
  if (!hasWiresharkTools) it.skip(wiresharkSkipReason, () => {});
});
