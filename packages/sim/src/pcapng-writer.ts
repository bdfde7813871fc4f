import { ErrorCode, TickscopeError } from "@tickscope/core";
import type { ByteSink } from "./byte-sink.js";
import type { UdpEndpoint } from "./udp-endpoint.js";

/** LINKTYPE_ETHERNET. */
export const LINKTYPE_ETHERNET = 1;

/** Options of {@link PcapngWriter}. */
export interface PcapngWriterOptions {
  /** Interface name written in the IDB (`if_name`), default `sim0`. */
  interfaceName?: string;
  /** Application name written in the SHB (`shb_userappl`), default `tickscope-sim`. */
  userApplication?: string;
  /** Snap length written in the IDB, default 65535. */
  snapLength?: number;
  /** Size of the output buffer in bytes (flushed to the sink when full), default 1 MiB. */
  bufferBytes?: number;
}

/** Largest UDP payload that fits in one IPv4 datagram. */
export const MAX_UDP_PAYLOAD = 65507;

const ETHERNET_HEADER = 14;
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const UDP_HEADER = 8;
const EPB_OVERHEAD = 32;
const TWO_POW_32 = 4294967296;

/**
 * Streaming PCAPNG writer: one section (SHB), one Ethernet interface (IDB with
 * `if_tsresol` = 9, i.e. nanoseconds) and Enhanced Packet Blocks carrying
 * Ethernet + IPv4/IPv6 + UDP frames with correct lengths and checksums.
 * Memory is constant: blocks are assembled in one reusable buffer that is
 * handed to the sink when full. Timestamps must be given in non-decreasing order.
 */
export class PcapngWriter {
  private readonly sink: ByteSink;
  private readonly buffer: Uint8Array;
  private readonly view: DataView;
  private used = 0;
  private identification = 0;
  private closed = false;
  /** Number of packets written. */
  packetCount = 0;
  /** Bytes handed to the sink so far plus buffered bytes. */
  get byteCount(): number {
    return this.flushedBytes + this.used;
  }
  private flushedBytes = 0;

  /** Writes the section header and interface description to `sink`. */
  constructor(sink: ByteSink, options: PcapngWriterOptions = {}) {
    this.sink = sink;
    const bufferBytes = Math.max(options.bufferBytes ?? 1 << 20, 131072);
    this.buffer = new Uint8Array(bufferBytes);
    this.view = new DataView(this.buffer.buffer);
    this.writeSectionHeader(options.userApplication ?? "tickscope-sim");
    this.writeInterfaceDescription(options.interfaceName ?? "sim0", options.snapLength ?? 65535);
  }

  private writeOptionString(offset: number, code: number, text: string): number {
    const bytes = new TextEncoder().encode(text);
    this.view.setUint16(offset, code, true);
    this.view.setUint16(offset + 2, bytes.length, true);
    this.buffer.set(bytes, offset + 4);
    const padded = (bytes.length + 3) & ~3;
    this.buffer.fill(0, offset + 4 + bytes.length, offset + 4 + padded);
    return offset + 4 + padded;
  }

  private writeSectionHeader(userApplication: string): void {
    const start = this.used;
    const view = this.view;
    view.setUint32(start, 0x0a0d0d0a, true);
    view.setUint32(start + 8, 0x1a2b3c4d, true);
    view.setUint16(start + 12, 1, true);
    view.setUint16(start + 14, 0, true);
    view.setUint32(start + 16, 0xffffffff, true);
    view.setUint32(start + 20, 0xffffffff, true);
    let offset = this.writeOptionString(start + 24, 4, userApplication);
    view.setUint32(offset, 0, true); // opt_endofopt
    offset += 4;
    const length = offset + 4 - start;
    view.setUint32(start + 4, length, true);
    view.setUint32(offset, length, true);
    this.used = offset + 4;
  }

  private writeInterfaceDescription(interfaceName: string, snapLength: number): void {
    const start = this.used;
    const view = this.view;
    view.setUint32(start, 1, true);
    view.setUint16(start + 8, LINKTYPE_ETHERNET, true);
    view.setUint16(start + 10, 0, true);
    view.setUint32(start + 12, snapLength, true);
    let offset = this.writeOptionString(start + 16, 2, interfaceName);
    view.setUint16(offset, 9, true); // if_tsresol
    view.setUint16(offset + 2, 1, true);
    view.setUint32(offset + 4, 9, true); // value 9 (10^-9) + 3 padding bytes
    offset += 8;
    view.setUint32(offset, 0, true);
    offset += 4;
    const length = offset + 4 - start;
    view.setUint32(start + 4, length, true);
    view.setUint32(offset, length, true);
    this.used = offset + 4;
  }

  /**
   * Appends one UDP datagram as an Ethernet frame captured at `tUs` (µs since
   * the Unix epoch; sub-µs fractions kept to the nanosecond).
   * `ttl` is the IPv4 TTL / IPv6 hop limit seen at the capture point.
   */
  writeUdp(tUs: number, source: UdpEndpoint, destination: UdpEndpoint, payload: Uint8Array, ttl = 64): void {
    if (this.closed) throw new TickscopeError(ErrorCode.invalidOption, "PcapngWriter is closed");
    if (source.ipVersion !== destination.ipVersion) throw new TickscopeError(ErrorCode.invalidOption, "source and destination IP versions differ");
    if (payload.length > MAX_UDP_PAYLOAD) throw new TickscopeError(ErrorCode.invalidOption, `UDP payload of ${payload.length} bytes is too large`);
    const ipHeader = source.ipVersion === 4 ? IPV4_HEADER : IPV6_HEADER;
    const frameLength = ETHERNET_HEADER + ipHeader + UDP_HEADER + payload.length;
    const paddedFrame = (frameLength + 3) & ~3;
    const blockLength = EPB_OVERHEAD + paddedFrame;
    if (this.used + blockLength > this.buffer.length) this.flush();
    const buffer = this.buffer;
    const view = this.view;
    const start = this.used;
    // Timestamp in ns as two 32-bit halves, exactly (no 2^53 overflow).
    const wholeUs = Math.floor(tUs);
    const fractionNs = Math.round((tUs - wholeUs) * 1000);
    const highUs = Math.floor(wholeUs / TWO_POW_32);
    const lowNs = (wholeUs - highUs * TWO_POW_32) * 1000 + fractionNs;
    const carry = Math.floor(lowNs / TWO_POW_32);
    view.setUint32(start, 6, true);
    view.setUint32(start + 4, blockLength, true);
    view.setUint32(start + 8, 0, true);
    view.setUint32(start + 12, highUs * 1000 + carry, true);
    view.setUint32(start + 16, lowNs - carry * TWO_POW_32, true);
    view.setUint32(start + 20, frameLength, true);
    view.setUint32(start + 24, frameLength, true);
    let offset = start + 28;
    // Ethernet (small copies by hand: cheaper than TypedArray.set for 6 bytes)
    const destinationMac = destination.macBytes;
    const sourceMac = source.macBytes;
    for (let index = 0; index < 6; index++) {
      buffer[offset + index] = destinationMac[index];
      buffer[offset + 6 + index] = sourceMac[index];
    }
    view.setUint16(offset + 12, source.ipVersion === 4 ? 0x0800 : 0x86dd);
    offset += ETHERNET_HEADER;
    const udpLength = UDP_HEADER + payload.length;
    if (source.ipVersion === 4) {
      view.setUint32(offset, 0x45000000 | (IPV4_HEADER + udpLength));
      view.setUint16(offset + 4, this.identification);
      this.identification = (this.identification + 1) & 0xffff;
      view.setUint16(offset + 6, 0x4000);
      buffer[offset + 8] = ttl;
      buffer[offset + 9] = 17;
      view.setUint16(offset + 10, 0);
      const sourceAddress = source.addressBytes;
      const destinationAddress = destination.addressBytes;
      for (let index = 0; index < 4; index++) {
        buffer[offset + 12 + index] = sourceAddress[index];
        buffer[offset + 16 + index] = destinationAddress[index];
      }
      view.setUint16(offset + 10, finishChecksum(sumWords(buffer, offset, IPV4_HEADER, 0)));
      offset += IPV4_HEADER;
    } else {
      view.setUint32(offset, 0x60000000);
      view.setUint16(offset + 4, udpLength);
      buffer[offset + 6] = 17;
      buffer[offset + 7] = ttl;
      buffer.set(source.addressBytes, offset + 8);
      buffer.set(destination.addressBytes, offset + 24);
      offset += IPV6_HEADER;
    }
    view.setUint16(offset, source.port);
    view.setUint16(offset + 2, destination.port);
    view.setUint16(offset + 4, udpLength);
    view.setUint16(offset + 6, 0);
    buffer.set(payload, offset + UDP_HEADER);
    const sum = sumWords(buffer, offset, udpLength, 17 + udpLength + source.addressWordSum + destination.addressWordSum);
    const checksum = finishChecksum(sum);
    view.setUint16(offset + 6, checksum === 0 ? 0xffff : checksum);
    offset += udpLength;
    for (let pad = frameLength; pad < paddedFrame; pad++) buffer[offset++] = 0;
    view.setUint32(offset, blockLength, true);
    this.used = offset + 4;
    this.packetCount++;
  }

  /** Hands buffered blocks to the sink. */
  flush(): void {
    if (this.used === 0) return;
    this.sink.write(this.buffer.subarray(0, this.used));
    this.flushedBytes += this.used;
    this.used = 0;
  }

  /** Flushes and closes the sink (idempotent). */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.sink.close();
  }
}

/** Adds big-endian 16-bit words of `bytes[offset, offset+length)` to a running ones'-complement sum. */
export function sumWords(bytes: Uint8Array, offset: number, length: number, sum: number): number {
  const end = offset + length - 1;
  let index = offset;
  for (; index < end; index += 2) sum += (bytes[index] << 8) | bytes[index + 1];
  if (index === end) sum += bytes[index] << 8;
  return sum;
}

/** Folds a running sum into the 16-bit ones'-complement Internet checksum. */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}
