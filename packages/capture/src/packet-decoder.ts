import { ErrorCode, type AnomalyCounter, type Packet } from "@tickscope/core";
import { AddressFormatter } from "./ip-address.js";
import { FragmentReassembler, type ReassemblyOptions } from "./fragment-reassembler.js";

/**
 * A {@link Packet} as handed out by the capture readers, with what the flow
 * table needs to count like tshark's conversation table.
 */
export interface CapturedPacket extends Packet {
  /**
   * Wire length of the frame that carried (or completed) the packet. tshark's
   * conversation table counts a reassembled datagram once, with the length of
   * this last frame; flows use it for their byte counts.
   */
  lastFrameWireLength: number;
  /** IPv4 identification, or the IPv6 fragment header's of a reassembled datagram; -1 when there is none. */
  ipIdentification: number;
}

/** Callback receiving decoded packets. The object (and its payload view) is reused: copy what you keep. */
export type PacketHandler = (packet: CapturedPacket) => void;

/** Counters kept by a {@link PacketDecoder}. */
export interface PacketDecoderCounters {
  /** UDP packets delivered (reassembled datagrams count once). */
  udpPackets: number;
  /** TCP segments delivered. */
  tcpPackets: number;
  /** Frames that carried no IP (ARP, LLDP, ...). */
  nonIpFrames: number;
  /** IP packets of other transports (ICMP, ...), not delivered. */
  otherIpPackets: number;
  /** Frames carrying an IP fragment. */
  fragmentFrames: number;
  /** Frames whose headers were cut by the snapshot length, so no packet could be delivered. */
  headerTruncatedFrames: number;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const PROTOCOL_TCP = 6;
const PROTOCOL_UDP = 17;

/**
 * Decodes link-layer frames (Ethernet with VLAN tags, Linux SLL/SLL2, raw IP,
 * NULL/LOOP) into IPv4/IPv6 packets, reassembles fragments, parses UDP and TCP
 * headers and hands each packet to a handler. One {@link CapturedPacket} object
 * is reused for every packet (no per-packet allocation besides the reassembly
 * of fragments). Damage is counted in the {@link AnomalyCounter}, never thrown.
 */
export class PacketDecoder {
  /** The reused packet object. */
  readonly packet: CapturedPacket = {
    index: 0,
    tUs: 0,
    interfaceId: 0,
    linkType: 0,
    ipVersion: 4,
    transport: "udp",
    sourceAddress: "",
    sourcePort: 0,
    destinationAddress: "",
    destinationPort: 0,
    wireLength: 0,
    capturedLength: 0,
    frameCount: 1,
    payload: new Uint8Array(0),
    lastFrameWireLength: 0,
    ipIdentification: -1,
  };
  /** Counters. */
  readonly counters: PacketDecoderCounters = {
    udpPackets: 0,
    tcpPackets: 0,
    nonIpFrames: 0,
    otherIpPackets: 0,
    fragmentFrames: 0,
    headerTruncatedFrames: 0,
  };
  private readonly addresses = new AddressFormatter();
  private readonly reassembler: FragmentReassembler;
  // current frame
  private frameIndex = 0;
  private frameUs = 0;
  private frameWireLength = 0;
  private frameCapturedLength = 0;
  private cut = false;
  // Backing store and offset of the last `bytes` given (the reader's chunk): read once per chunk,
  // not per packet (each getter costs about as much as the payload view itself).
  private viewSource: Uint8Array | undefined = undefined;
  private viewBacking: ArrayBufferLike = new ArrayBuffer(0);
  private viewOffset = 0;

  constructor(
    private readonly anomalies: AnomalyCounter,
    private readonly handler: PacketHandler,
    reassembly: ReassemblyOptions = {},
  ) {
    this.reassembler = new FragmentReassembler(anomalies, reassembly);
  }

  /** `length` bytes of `bytes` from `start`, as a view (no copy). */
  private view(bytes: Uint8Array, start: number, length: number): Uint8Array {
    if (this.viewSource !== bytes) {
      this.viewSource = bytes;
      this.viewBacking = bytes.buffer;
      this.viewOffset = bytes.byteOffset;
    }
    return new Uint8Array(this.viewBacking, this.viewOffset + start, length);
  }

  /** Drops (and counts) fragments still pending; call at the end of a capture. */
  finish(): void {
    this.reassembler.finish();
  }

  /**
   * Decodes one frame of `capturedLength` bytes at `bytes[offset]` (`view` is
   * a DataView over the same bytes as `bytes`, with the same origin).
   */
  decodeFrame(
    bytes: Uint8Array,
    view: DataView,
    offset: number,
    capturedLength: number,
    wireLength: number,
    linkType: number,
    interfaceId: number,
    tUs: number,
    frameIndex: number,
  ): void {
    this.frameIndex = frameIndex;
    this.frameUs = tUs;
    this.frameWireLength = wireLength;
    this.frameCapturedLength = capturedLength;
    this.cut = capturedLength < wireLength;
    const packet = this.packet;
    packet.interfaceId = interfaceId;
    packet.linkType = linkType;
    const end = offset + capturedLength;
    let position = offset;
    let etherType: number;
    switch (linkType) {
      case 1: {
        if (capturedLength < 14) return this.shortFrame();
        etherType = view.getUint16(position + 12);
        position += 14;
        let tags = 0;
        while (etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100) {
          if (position + 4 > end || ++tags > 8) return this.shortFrame();
          etherType = view.getUint16(position + 2);
          position += 4;
        }
        break;
      }
      case 113:
        if (capturedLength < 16) return this.shortFrame();
        etherType = view.getUint16(position + 14);
        position += 16;
        break;
      case 276:
        if (capturedLength < 20) return this.shortFrame();
        etherType = view.getUint16(position);
        position += 20;
        break;
      case 0:
      case 108: {
        if (capturedLength < 4) return this.shortFrame();
        let family = view.getUint32(position, linkType === 0);
        if (linkType === 0 && family > 0xffff) family = view.getUint32(position, false);
        position += 4;
        etherType = family === 2 ? ETHERTYPE_IPV4 : family === 10 || family === 24 || family === 28 || family === 30 ? ETHERTYPE_IPV6 : -1;
        break;
      }
      case 101:
      case 12:
      case 14:
        if (capturedLength < 1) return this.shortFrame();
        etherType = bytes[position] >> 4 === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
        break;
      case 228:
        etherType = ETHERTYPE_IPV4;
        break;
      case 229:
        etherType = ETHERTYPE_IPV6;
        break;
      default:
        this.anomalies.add(ErrorCode.unknownLinkType, frameIndex);
        return;
    }
    if (etherType === ETHERTYPE_IPV4) this.decodeIpv4(bytes, view, position, end);
    else if (etherType === ETHERTYPE_IPV6) this.decodeIpv6(bytes, view, position, end);
    else this.counters.nonIpFrames += 1;
  }

  private shortFrame(): void {
    if (this.cut) this.counters.headerTruncatedFrames += 1;
    else this.anomalies.add(ErrorCode.truncated, this.frameIndex);
  }

  private badIp(): void {
    if (this.cut) this.counters.headerTruncatedFrames += 1;
    else this.anomalies.add(ErrorCode.badIpHeader, this.frameIndex);
  }

  private decodeIpv4(bytes: Uint8Array, view: DataView, position: number, end: number): void {
    if (end - position < 20) return this.badIp();
    const versionAndLength = bytes[position];
    const headerLength = (versionAndLength & 15) * 4;
    if (versionAndLength >> 4 !== 4 || headerLength < 20) {
      this.anomalies.add(ErrorCode.badIpHeader, this.frameIndex);
      return;
    }
    if (position + headerLength > end) return this.badIp();
    let totalLength = view.getUint16(position + 2);
    if (totalLength === 0) totalLength = end - position; // TSO: length left to the NIC
    if (totalLength < headerLength) {
      this.anomalies.add(ErrorCode.badIpHeader, this.frameIndex);
      return;
    }
    const declaredEnd = position + totalLength;
    const capturedEnd = declaredEnd < end ? declaredEnd : end;
    const flagsAndOffset = view.getUint16(position + 6);
    const protocol = bytes[position + 9];
    const packet = this.packet;
    packet.ipVersion = 4;
    packet.ipIdentification = view.getUint16(position + 4);
    packet.sourceAddress = this.addresses.ipv4Text(view.getUint32(position + 12));
    packet.destinationAddress = this.addresses.ipv4Text(view.getUint32(position + 16));
    const payloadStart = position + headerLength;
    if ((flagsAndOffset & 0x3fff) !== 0) {
      this.counters.fragmentFrames += 1;
      if (capturedEnd < declaredEnd) {
        // Not all of the fragment's bytes are in the frame: like tshark, do not
        // reassemble; a first fragment is decoded as far as it goes.
        this.anomalies.add(ErrorCode.incompleteFragment, this.frameIndex);
        if ((flagsAndOffset & 0x1fff) === 0) {
          this.decodeTransport(protocol, bytes, view, payloadStart, capturedEnd, declaredEnd, 1, this.frameWireLength, this.frameCapturedLength, true);
        }
        return;
      }
      const key = `4/${packet.sourceAddress}/${packet.destinationAddress}/${protocol}/${view.getUint16(position + 4)}`;
      const datagram = this.reassembler.add(
        key,
        (flagsAndOffset & 0x1fff) * 8,
        (flagsAndOffset & 0x2000) !== 0,
        bytes.subarray(payloadStart, capturedEnd),
        this.frameUs,
        this.frameIndex,
        this.frameWireLength,
        this.frameCapturedLength,
      );
      if (datagram === undefined) return;
      const payload = datagram.payload;
      const payloadView = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      this.decodeTransport(protocol, payload, payloadView, 0, payload.length, payload.length, datagram.frameCount, datagram.wireLength, datagram.capturedLength);
      return;
    }
    if (protocol === PROTOCOL_UDP && capturedEnd - payloadStart >= 8) {
      // The common case, an unfragmented UDP datagram whose length fits: handed on here
      // (what decodeTransport does for it, without its ten-argument call).
      const udpLength = view.getUint16(payloadStart + 4);
      if (udpLength >= 8 && udpLength <= declaredEnd - payloadStart) {
        const payloadEnd = payloadStart + udpLength < capturedEnd ? payloadStart + udpLength : capturedEnd;
        packet.transport = "udp";
        packet.sourcePort = view.getUint16(payloadStart);
        packet.destinationPort = view.getUint16(payloadStart + 2);
        packet.payload = this.view(bytes, payloadStart + 8, payloadEnd - payloadStart - 8);
        this.counters.udpPackets += 1;
        packet.index = this.frameIndex;
        packet.tUs = this.frameUs;
        packet.wireLength = this.frameWireLength;
        packet.capturedLength = this.frameCapturedLength;
        packet.frameCount = 1;
        packet.lastFrameWireLength = this.frameWireLength;
        this.handler(packet);
        return;
      }
    }
    this.decodeTransport(protocol, bytes, view, payloadStart, capturedEnd, declaredEnd, 1, this.frameWireLength, this.frameCapturedLength, false);
  }

  private decodeIpv6(bytes: Uint8Array, view: DataView, position: number, end: number): void {
    if (end - position < 40) return this.badIp();
    if (bytes[position] >> 4 !== 6) {
      this.anomalies.add(ErrorCode.badIpHeader, this.frameIndex);
      return;
    }
    const payloadLength = view.getUint16(position + 4);
    const declaredEnd = payloadLength === 0 ? end : position + 40 + payloadLength;
    const capturedEnd = declaredEnd < end ? declaredEnd : end;
    const packet = this.packet;
    packet.ipVersion = 6;
    packet.ipIdentification = -1;
    packet.sourceAddress = this.addresses.ipv6Text(bytes, position + 8);
    packet.destinationAddress = this.addresses.ipv6Text(bytes, position + 24);
    let next = bytes[position + 6];
    let cursor = position + 40;
    for (let hops = 0; hops < 16; hops++) {
      if (next === 0 || next === 43 || next === 60 || next === 51) {
        if (cursor + 8 > capturedEnd) return this.badIp();
        const length = next === 51 ? (bytes[cursor + 1] + 2) * 4 : (bytes[cursor + 1] + 1) * 8;
        next = bytes[cursor];
        cursor += length;
        continue;
      }
      if (next === 44) {
        if (cursor + 8 > capturedEnd) return this.badIp();
        const fragmentNext = bytes[cursor];
        const offsetAndFlags = view.getUint16(cursor + 2);
        const identification = view.getUint32(cursor + 4);
        packet.ipIdentification = identification;
        cursor += 8;
        if ((offsetAndFlags & 0xfff9) === 0) {
          next = fragmentNext; // atomic fragment
          continue;
        }
        this.counters.fragmentFrames += 1;
        if (capturedEnd < declaredEnd) {
          this.anomalies.add(ErrorCode.incompleteFragment, this.frameIndex);
          if ((offsetAndFlags & 0xfff8) === 0) this.decodeIpv6Rest(fragmentNext, bytes, view, cursor, capturedEnd, declaredEnd, 1, this.frameWireLength, this.frameCapturedLength, true);
          return;
        }
        const key = `6/${packet.sourceAddress}/${packet.destinationAddress}/${identification}`;
        const datagram = this.reassembler.add(
          key,
          offsetAndFlags & 0xfff8,
          (offsetAndFlags & 1) !== 0,
          bytes.subarray(cursor, capturedEnd),
          this.frameUs,
          this.frameIndex,
          this.frameWireLength,
          this.frameCapturedLength,
        );
        if (datagram === undefined) return;
        const payload = datagram.payload;
        const payloadView = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
        this.decodeIpv6Rest(fragmentNext, payload, payloadView, 0, payload.length, payload.length, datagram.frameCount, datagram.wireLength, datagram.capturedLength, false);
        return;
      }
      break;
    }
    if (cursor > capturedEnd) return this.badIp();
    this.decodeTransport(next, bytes, view, cursor, capturedEnd, declaredEnd, 1, this.frameWireLength, this.frameCapturedLength);
  }

  /** Extension headers after a fragment header, then the transport. */
  private decodeIpv6Rest(
    next: number,
    bytes: Uint8Array,
    view: DataView,
    start: number,
    capturedEnd: number,
    declaredEnd: number,
    frameCount: number,
    wireLength: number,
    capturedLength: number,
    fragmentHead: boolean,
  ): void {
    let cursor = start;
    for (let hops = 0; hops < 16 && (next === 0 || next === 43 || next === 60 || next === 51); hops++) {
      if (cursor + 8 > capturedEnd) {
        this.anomalies.add(ErrorCode.badIpHeader, this.frameIndex);
        return;
      }
      const length = next === 51 ? (bytes[cursor + 1] + 2) * 4 : (bytes[cursor + 1] + 1) * 8;
      next = bytes[cursor];
      cursor += length;
    }
    if (cursor > capturedEnd) {
      this.anomalies.add(ErrorCode.badIpHeader, this.frameIndex);
      return;
    }
    this.decodeTransport(next, bytes, view, cursor, capturedEnd, declaredEnd, frameCount, wireLength, capturedLength, fragmentHead);
  }

  private decodeTransport(
    protocol: number,
    bytes: Uint8Array,
    view: DataView,
    position: number,
    capturedEnd: number,
    declaredEnd: number,
    frameCount: number,
    wireLength: number,
    capturedLength: number,
    fragmentHead = false,
  ): void {
    const packet = this.packet;
    if (protocol === PROTOCOL_UDP) {
      if (capturedEnd - position < 8) {
        if (declaredEnd - position < 8 && !fragmentHead) this.anomalies.add(ErrorCode.badUdpLength, this.frameIndex);
        else this.counters.headerTruncatedFrames += 1;
        return;
      }
      const udpLength = view.getUint16(position + 4);
      const available = declaredEnd - position;
      let payloadEnd: number;
      if (udpLength < 8) {
        this.anomalies.add(ErrorCode.badUdpLength, this.frameIndex);
        return;
      } else if (udpLength > available) {
        if (!fragmentHead) this.anomalies.add(ErrorCode.badUdpLength, this.frameIndex);
        payloadEnd = declaredEnd;
      } else {
        payloadEnd = position + udpLength;
      }
      if (payloadEnd > capturedEnd) payloadEnd = capturedEnd;
      packet.transport = "udp";
      packet.sourcePort = view.getUint16(position);
      packet.destinationPort = view.getUint16(position + 2);
      // A plain view built with the constructor: cheaper than `subarray` (and than Buffer#subarray).
      packet.payload = this.view(bytes, position + 8, payloadEnd - position - 8);
      this.counters.udpPackets += 1;
    } else if (protocol === PROTOCOL_TCP) {
      if (capturedEnd - position < 20) {
        if (declaredEnd - position < 20) this.anomalies.add(ErrorCode.badTcpHeader, this.frameIndex);
        else this.counters.headerTruncatedFrames += 1;
        return;
      }
      const headerLength = (bytes[position + 12] >> 4) * 4;
      if (headerLength < 20 || position + headerLength > declaredEnd) {
        this.anomalies.add(ErrorCode.badTcpHeader, this.frameIndex);
        return;
      }
      const dataStart = position + headerLength < capturedEnd ? position + headerLength : capturedEnd;
      packet.transport = "tcp";
      packet.sourcePort = view.getUint16(position);
      packet.destinationPort = view.getUint16(position + 2);
      packet.payload = this.view(bytes, dataStart, capturedEnd - dataStart);
      this.counters.tcpPackets += 1;
    } else {
      this.counters.otherIpPackets += 1;
      return;
    }
    packet.index = this.frameIndex;
    packet.tUs = this.frameUs;
    packet.wireLength = wireLength;
    packet.capturedLength = capturedLength;
    packet.frameCount = frameCount;
    packet.lastFrameWireLength = this.frameWireLength;
    this.handler(packet);
  }
}
