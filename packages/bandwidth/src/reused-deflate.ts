import { constants, createDeflateRaw, deflateRawSync, type ZlibOptions } from "node:zlib";

/** Deflate level of the per-packet dictionary trial. */
export const DICTIONARY_DEFLATE_LEVEL = 9;

/**
 * Longest payload measured on a reused stream (longer ones get a stream of their own; so does a
 * payload that, after the dictionary, would make zlib slide its window): then the window bytes a
 * match may read past the payload's end (zlib reads up to 258 past it) are only what this set-up put there.
 */
export const MAX_REUSED_PAYLOAD_BYTES = 16384;

/**
 * Output chunk of the per-datagram compressors (deflate and brotli): datagrams are small, so a 1 KiB
 * chunk (not zlib's 16 KiB default, allocated per call) saves allocation; the compressed bytes are the same.
 */
export const OUTPUT_CHUNK_BYTES = 1024;

/** The parts of Node's zlib binding a reused stream needs (not part of Node's documented API: checked before use). */
interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inputOffset: number, inputLength: number, output: Uint8Array, outputOffset: number, outputLength: number): void;
  reset(): void;
}

/** Raw-deflate settings of a per-packet trial: level, window (by payload length) and preset dictionary. */
export interface PerPacketDeflate {
  level: number;
  /** Window bits of a payload of this many bytes (15 for every payload with a dictionary). */
  windowBitsOf: (length: number) => number;
  dictionary?: Uint8Array;
}

/** The zlib options of `settings` with `windowBits`: one place for fresh and reused streams alike. */
function deflateOptions(settings: PerPacketDeflate, windowBits: number): ZlibOptions {
  const options: ZlibOptions = { level: settings.level, windowBits, chunkSize: OUTPUT_CHUNK_BYTES };
  if (settings.dictionary !== undefined) options.dictionary = settings.dictionary;
  return options;
}

/** The size `deflateRawSync(payload, { level, windowBits, dictionary })` gives: one fresh zlib stream per call. */
export function freshDeflatedBytes(payload: Uint8Array, settings: PerPacketDeflate): number {
  return deflateRawSync(payload, deflateOptions(settings, settings.windowBitsOf(payload.length))).length;
}

/** One zlib stream measured payload after payload (see {@link reusedStreamDeflatedSizes}), or undefined when the binding cannot. */
interface ReusedStream {
  windowBits: number;
  close(): void;
  /** Compressed bytes of a payload, −1 when it must be measured on a fresh stream. */
  measure(payload: Uint8Array): number;
}

function openStream(settings: PerPacketDeflate, windowBits: number, longest: number): ReusedStream | undefined {
  const stream = createDeflateRaw(deflateOptions(settings, windowBits));
  // A failure of the binding is reported on the stream: the fresh stream of that payload measures it (and raises it) instead.
  stream.on("error", () => {});
  const internals = stream as unknown as { _handle?: Partial<ZlibHandle> | null; _writeState?: Uint32Array };
  const handle = internals._handle;
  const writeState = internals._writeState;
  if (handle === null || handle === undefined || typeof handle.writeSync !== "function" || typeof handle.reset !== "function" || !(writeState instanceof Uint32Array)) {
    stream.close();
    return undefined;
  }
  // Larger than deflate's bound for any payload measured here (stored blocks add 5 bytes per 16 KiB): a full output falls back.
  const output = Buffer.allocUnsafe(longest + (longest >>> 4) + 64);
  // Longest payload zlib reads without sliding its window (twice the window size, less its 262-byte lookahead), with the
  // 258 bytes a match may read past it inside the window too: the window then holds only what this set-up wrote.
  const windowBytes = 1 << windowBits;
  const room = 2 * windowBytes - 262 - 258 - Math.min(settings.dictionary?.length ?? 0, windowBytes);
  return {
    windowBits,
    close: () => stream.close(),
    measure(payload: Uint8Array): number {
      // A stream the binding closed (after an error) is not written again.
      if (payload.length > MAX_REUSED_PAYLOAD_BYTES || payload.length > longest || payload.length > room || internals._handle !== handle) return -1;
      try {
        (handle as ZlibHandle).writeSync(constants.Z_FINISH, payload, 0, payload.length, output, 0, output.length);
        const outputLeft = writeState[0]!;
        const inputLeft = writeState[1]!;
        (handle as ZlibHandle).reset();
        return inputLeft === 0 && outputLeft > 0 ? output.length - outputLeft : -1;
      } catch {
        return -1;
      }
    },
  };
}

/**
 * Raw-deflate sizes of payloads each compressed alone: for every payload the length of
 * `deflateRawSync(payload, { level, windowBits: windowBitsOf(length), dictionary })`, index-aligned
 * with `payloads`.
 *
 * A fresh zlib stream per payload allocates and clears zlib's state (about 300 KiB with a 32 KiB
 * window), and with a dictionary hashes it in, so payloads of one window size share one stream,
 * reset between them (Node's reset applies the dictionary again). Sizes stay exactly those of
 * fresh streams because the payloads go through it in ascending length: the only state a reset
 * keeps is the window's contents past the dictionary, and zlib reads at most 258 bytes past a
 * payload's end, bytes a fresh stream holds as zeros (zlib zeroes them before a match may read
 * them). A payload no longer than the ones before it never reaches bytes an earlier payload wrote,
 * so they are still the zeros a fresh stream would read. Payloads over
 * {@link MAX_REUSED_PAYLOAD_BYTES}, or every payload when Node's zlib binding does not offer a
 * synchronous write, get a stream of their own.
 */
export function reusedStreamDeflatedSizes(payloads: readonly Uint8Array[], settings: PerPacketDeflate): number[] {
  const sizes = new Array<number>(payloads.length).fill(0);
  const order = Array.from({ length: payloads.length }, (_, index) => index).sort((a, b) => payloads[a]!.length - payloads[b]!.length || a - b);
  let stream: ReusedStream | undefined;
  let usable = true;
  try {
    for (let position = 0; position < order.length; position++) {
      const index = order[position]!;
      const payload = payloads[index]!;
      let size = -1;
      if (usable && payload.length <= MAX_REUSED_PAYLOAD_BYTES) {
        const windowBits = settings.windowBitsOf(payload.length);
        if (stream === undefined || stream.windowBits !== windowBits) {
          stream?.close();
          // The longest payload this stream will see: the last one of this window size (ascending order).
          let longest = payload.length;
          for (let next = position + 1; next < order.length; next++) {
            const length = payloads[order[next]!]!.length;
            if (length > MAX_REUSED_PAYLOAD_BYTES || settings.windowBitsOf(length) !== windowBits) break;
            longest = length;
          }
          stream = openStream(settings, windowBits, longest);
          usable = stream !== undefined;
        }
        if (stream !== undefined) size = stream.measure(payload);
      }
      sizes[index] = size >= 0 ? size : freshDeflatedBytes(payload, settings);
    }
  } finally {
    stream?.close();
  }
  return sizes;
}

/** {@link reusedStreamDeflatedSizes} of the dictionary trial: level 9, a 32 KiB window, the dictionary. */
export function dictionaryDeflatedSizes(payloads: readonly Uint8Array[], dictionary: Uint8Array): number[] {
  return reusedStreamDeflatedSizes(payloads, { level: DICTIONARY_DEFLATE_LEVEL, windowBitsOf: () => 15, dictionary });
}
