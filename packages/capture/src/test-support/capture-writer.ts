/** A tiny pcap/pcapng writer for test fixtures (the sim package has the real one). */

/** One frame to write. */
export interface FrameRecord {
  /** Capture time, µs since the epoch (may carry a sub-µs fraction). */
  tUs: number;
  /** Captured bytes. */
  data: Uint8Array;
  /** Length on the wire (default: data length). */
  wireLength?: number;
  /** pcapng interface id (default 0). */
  interfaceId?: number;
}

/** Options of {@link writePcap}. */
export interface PcapWriteOptions {
  linkType?: number;
  littleEndian?: boolean;
  nanoseconds?: boolean;
  snapshotLength?: number;
  majorVersion?: number;
  minorVersion?: number;
}

/** Writes a classic pcap file. */
export function writePcap(frames: readonly FrameRecord[], options: PcapWriteOptions = {}): Uint8Array {
  const littleEndian = options.littleEndian ?? true;
  const nanoseconds = options.nanoseconds ?? false;
  const total = 24 + frames.reduce((sum, frame) => sum + 16 + frame.data.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, littleEndian);
  view.setUint16(4, options.majorVersion ?? 2, littleEndian);
  view.setUint16(6, options.minorVersion ?? 4, littleEndian);
  view.setUint32(16, options.snapshotLength ?? 65535, littleEndian);
  view.setUint32(20, options.linkType ?? 1, littleEndian);
  let offset = 24;
  for (const frame of frames) {
    const seconds = Math.floor(frame.tUs / 1e6);
    const fraction = nanoseconds ? Math.round((frame.tUs - seconds * 1e6) * 1000) : Math.round(frame.tUs - seconds * 1e6);
    view.setUint32(offset, seconds, littleEndian);
    view.setUint32(offset + 4, fraction, littleEndian);
    view.setUint32(offset + 8, frame.data.length, littleEndian);
    view.setUint32(offset + 12, frame.wireLength ?? frame.data.length, littleEndian);
    out.set(frame.data, offset + 16);
    offset += 16 + frame.data.length;
  }
  return out;
}

/** One interface of a pcapng section. */
export interface PcapngInterface {
  linkType: number;
  snapshotLength?: number;
  /** Raw if_tsresol byte (default: option omitted = µs). */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffsetSeconds?: number;
}

/** A block of a pcapng section. */
export type PcapngItem =
  | { kind: "epb"; frame: FrameRecord }
  | { kind: "spb"; data: Uint8Array; wireLength?: number }
  | { kind: "pb"; frame: FrameRecord }
  | { kind: "raw"; type: number; body: Uint8Array };

/** One pcapng section. */
export interface PcapngSection {
  littleEndian?: boolean;
  interfaces: PcapngInterface[];
  items: PcapngItem[];
}

function pad4(length: number): number {
  return (length + 3) & ~3;
}

function ticksOf(tUs: number, resolution: number | undefined): bigint {
  if (resolution === undefined) return BigInt(Math.round(tUs));
  const exponent = resolution & 0x7f;
  const perSecond = resolution & 0x80 ? 2 ** exponent : 10 ** exponent;
  const seconds = Math.floor(tUs / 1e6);
  const remainderUs = tUs - seconds * 1e6;
  return BigInt(seconds) * BigInt(perSecond) + BigInt(Math.round((remainderUs * perSecond) / 1e6));
}

/** Writes a pcapng file with one or more sections. */
export function writePcapng(sections: readonly PcapngSection[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  const block = (type: number, body: Uint8Array, littleEndian: boolean): void => {
    const length = 12 + pad4(body.length);
    const out = new Uint8Array(length);
    const view = new DataView(out.buffer);
    view.setUint32(0, type, littleEndian);
    view.setUint32(4, length, littleEndian);
    out.set(body, 8);
    view.setUint32(length - 4, length, littleEndian);
    blocks.push(out);
  };
  for (const section of sections) {
    const littleEndian = section.littleEndian ?? true;
    const shb = new Uint8Array(16);
    const shbView = new DataView(shb.buffer);
    shbView.setUint32(0, 0x1a2b3c4d, littleEndian);
    shbView.setUint16(4, 1, littleEndian);
    shbView.setUint16(6, 0, littleEndian);
    shbView.setBigInt64(8, -1n, littleEndian);
    block(0x0a0d0d0a, shb, littleEndian);
    for (const description of section.interfaces) {
      const options: number[] = [];
      const body = new Uint8Array(8 + 8 + 16 + 4);
      const view = new DataView(body.buffer);
      view.setUint16(0, description.linkType, littleEndian);
      view.setUint32(4, description.snapshotLength ?? 0, littleEndian);
      let offset = 8;
      if (description.tsresol !== undefined) {
        view.setUint16(offset, 9, littleEndian);
        view.setUint16(offset + 2, 1, littleEndian);
        body[offset + 4] = description.tsresol;
        offset += 8;
      }
      if (description.tsoffsetSeconds !== undefined) {
        view.setUint16(offset, 14, littleEndian);
        view.setUint16(offset + 2, 8, littleEndian);
        view.setBigInt64(offset + 4, BigInt(description.tsoffsetSeconds), littleEndian);
        offset += 12;
      }
      options.push(offset);
      view.setUint32(offset, 0, littleEndian); // opt_endofopt
      block(1, body.subarray(0, offset + 4), littleEndian);
    }
    for (const item of section.items) {
      if (item.kind === "raw") {
        block(item.type, item.body, littleEndian);
        continue;
      }
      if (item.kind === "spb") {
        const body = new Uint8Array(4 + pad4(item.data.length));
        new DataView(body.buffer).setUint32(0, item.wireLength ?? item.data.length, littleEndian);
        body.set(item.data, 4);
        block(3, body, littleEndian);
        continue;
      }
      const frame = item.frame;
      const interfaceId = frame.interfaceId ?? 0;
      const ticks = ticksOf(frame.tUs - (section.interfaces[interfaceId]?.tsoffsetSeconds ?? 0) * 1e6, section.interfaces[interfaceId]?.tsresol);
      const body = new Uint8Array(20 + pad4(frame.data.length));
      const view = new DataView(body.buffer);
      if (item.kind === "epb") view.setUint32(0, interfaceId, littleEndian);
      else view.setUint16(0, interfaceId, littleEndian);
      view.setUint32(4, Number(ticks >> 32n), littleEndian);
      view.setUint32(8, Number(ticks & 0xffffffffn), littleEndian);
      view.setUint32(12, frame.data.length, littleEndian);
      view.setUint32(16, frame.wireLength ?? frame.data.length, littleEndian);
      body.set(frame.data, 20);
      block(item.kind === "epb" ? 6 : 2, body, littleEndian);
    }
  }
  const total = blocks.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of blocks) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Shorthand: a single-section, single-interface pcapng of EPBs. */
export function simplePcapng(frames: readonly FrameRecord[], linkType = 1, littleEndian = true): Uint8Array {
  return writePcapng([{ littleEndian, interfaces: [{ linkType }], items: frames.map((frame) => ({ kind: "epb" as const, frame })) }]);
}
