import { ErrorCode, type AnomalyCounter } from "@tickscope/core";

/** Limits of IP fragment reassembly (bounded memory). */
export interface ReassemblyOptions {
  /** Datagrams under reassembly at once; the oldest is dropped (and counted) beyond it. Default 1024. */
  maxPendingDatagrams?: number;
  /** A datagram not completed within this capture time is dropped and counted. Default 30 s. */
  timeoutUs?: number;
  /** Largest reassembled payload accepted, in bytes. Default 65535. */
  maxDatagramBytes?: number;
}

/** A datagram completed by {@link FragmentReassembler.add}. */
export interface ReassembledDatagram {
  /** The reassembled IP payload (transport header + data). */
  payload: Uint8Array;
  /** Frames that carried it. */
  frameCount: number;
  /** Sum of the frames' wire lengths. */
  wireLength: number;
  /** Sum of the frames' captured lengths. */
  capturedLength: number;
}

interface PendingDatagram {
  buffer: Uint8Array;
  /** Merged covered ranges, sorted, as [start0, end0, start1, end1, ...]. */
  ranges: number[];
  /** Every fragment received, as [start0, end0, ...] (bounded by the datagram size). */
  pieces: number[];
  totalLength: number;
  firstUs: number;
  firstFrameIndex: number;
  frameCount: number;
  wireLength: number;
  capturedLength: number;
  overlapReported: boolean;
}

/**
 * IPv4/IPv6 fragment reassembly with bounded memory: at most
 * `maxPendingDatagrams` datagrams of at most `maxDatagramBytes` each; fragments
 * older than `timeoutUs` (capture time) are dropped. Dropped datagrams count
 * as `E_INCOMPLETE_FRAGMENT`, overlapping fragments as `E_OVERLAPPING_FRAGMENT`
 * (exact duplicates are ignored silently).
 */
export class FragmentReassembler {
  private readonly pending = new Map<string, PendingDatagram>();
  private readonly maxPending: number;
  private readonly timeoutUs: number;
  private readonly maxBytes: number;

  constructor(
    private readonly anomalies: AnomalyCounter,
    options: ReassemblyOptions = {},
  ) {
    this.maxPending = options.maxPendingDatagrams ?? 1024;
    this.timeoutUs = options.timeoutUs ?? 30_000_000;
    this.maxBytes = options.maxDatagramBytes ?? 65_535;
  }

  /** Datagrams currently waiting for fragments. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Adds one fragment. Returns the datagram when this fragment completes it.
   * `offset` is the fragment offset in bytes, `more` the more-fragments flag.
   */
  add(
    key: string,
    offset: number,
    more: boolean,
    data: Uint8Array,
    tUs: number,
    frameIndex: number,
    wireLength: number,
    capturedLength: number,
  ): ReassembledDatagram | undefined {
    this.expire(tUs);
    const end = offset + data.length;
    if (end > this.maxBytes) {
      this.anomalies.add(ErrorCode.badIpHeader, frameIndex);
      return undefined;
    }
    let datagram = this.pending.get(key);
    if (datagram === undefined) {
      if (this.pending.size >= this.maxPending) this.drop(this.pending.keys().next().value as string);
      datagram = {
        buffer: new Uint8Array(Math.max(end, 2048)),
        ranges: [],
        pieces: [],
        totalLength: -1,
        firstUs: tUs,
        firstFrameIndex: frameIndex,
        frameCount: 0,
        wireLength: 0,
        capturedLength: 0,
        overlapReported: false,
      };
      this.pending.set(key, datagram);
    }
    const ranges = datagram.ranges;
    const pieces = datagram.pieces;
    for (let i = 0; i < pieces.length; i += 2) {
      if (pieces[i] === offset && pieces[i + 1] === end) return undefined; // exact duplicate
      if (offset < pieces[i + 1] && pieces[i] < end) {
        if (!datagram.overlapReported) {
          this.anomalies.add(ErrorCode.overlappingFragment, frameIndex);
          datagram.overlapReported = true;
        }
        break;
      }
    }
    if (pieces.length < 2 * 8192) pieces.push(offset, end);
    if (!more) {
      if (datagram.totalLength >= 0 && datagram.totalLength !== end && !datagram.overlapReported) {
        this.anomalies.add(ErrorCode.overlappingFragment, frameIndex);
        datagram.overlapReported = true;
      }
      datagram.totalLength = end;
    }
    if (end > datagram.buffer.length) {
      const grown = new Uint8Array(Math.min(this.maxBytes, Math.max(end, datagram.buffer.length * 2)));
      grown.set(datagram.buffer);
      datagram.buffer = grown;
    }
    datagram.buffer.set(data, offset);
    insertRange(ranges, offset, end);
    datagram.frameCount += 1;
    datagram.wireLength += wireLength;
    datagram.capturedLength += capturedLength;
    if (datagram.totalLength >= 0 && ranges.length === 2 && ranges[0] === 0 && ranges[1] >= datagram.totalLength) {
      this.pending.delete(key);
      return {
        payload: datagram.buffer.subarray(0, datagram.totalLength),
        frameCount: datagram.frameCount,
        wireLength: datagram.wireLength,
        capturedLength: datagram.capturedLength,
      };
    }
    return undefined;
  }

  /** Drops (and counts) datagrams whose first fragment is older than the timeout. */
  expire(nowUs: number): void {
    for (const [key, datagram] of this.pending) {
      if (nowUs - datagram.firstUs <= this.timeoutUs) break;
      this.drop(key);
    }
  }

  /** Drops (and counts) every datagram still pending, e.g. at the end of the capture. */
  finish(): void {
    for (const key of [...this.pending.keys()]) this.drop(key);
  }

  private drop(key: string): void {
    const datagram = this.pending.get(key);
    if (datagram === undefined) return;
    this.pending.delete(key);
    this.anomalies.add(ErrorCode.incompleteFragment, datagram.firstFrameIndex);
  }
}

function insertRange(ranges: number[], start: number, end: number): void {
  if (end <= start) return;
  let newStart = start;
  let newEnd = end;
  const kept: number[] = [];
  let inserted = false;
  for (let i = 0; i < ranges.length; i += 2) {
    const rangeStart = ranges[i];
    const rangeEnd = ranges[i + 1];
    if (rangeEnd < newStart) {
      kept.push(rangeStart, rangeEnd);
    } else if (rangeStart > newEnd) {
      if (!inserted) {
        kept.push(newStart, newEnd);
        inserted = true;
      }
      kept.push(rangeStart, rangeEnd);
    } else {
      newStart = Math.min(newStart, rangeStart);
      newEnd = Math.max(newEnd, rangeEnd);
    }
  }
  if (!inserted) kept.push(newStart, newEnd);
  ranges.length = 0;
  for (const value of kept) ranges.push(value);
}
