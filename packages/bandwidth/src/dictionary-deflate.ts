import { constants, createDeflateRaw, deflateRawSync } from "node:zlib";

/** Deflate level of the per-packet dictionary trial. */
export const DICTIONARY_DEFLATE_LEVEL = 9;

/**
 * Longest payload measured on the reused stream (longer ones get a stream of their own): with
 * at most 32 KiB of dictionary in front of it, a payload this short never makes zlib slide its
 * 64 KiB window, so the window bytes a match may read past the payload's end (zlib reads up to
 * 258 past it) are only what this set-up put there.
 */
export const MAX_REUSED_PAYLOAD_BYTES = 16384;

/** Output chunk of a payload measured on a stream of its own (datagrams are small: zlib's 16 KiB default is allocated per call). */
const OUTPUT_CHUNK_BYTES = 1024;

/** The parts of Node's zlib binding a reused stream needs (not part of Node's documented API: checked before use). */
interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inputOffset: number, inputLength: number, output: Uint8Array, outputOffset: number, outputLength: number): void;
  reset(): void;
}

/** The size `deflateRawSync(payload, { level: 9, dictionary })` gives: one fresh zlib stream per call. */
export function freshDictionaryDeflatedBytes(payload: Uint8Array, dictionary: Uint8Array): number {
  return deflateRawSync(payload, { level: DICTIONARY_DEFLATE_LEVEL, dictionary, chunkSize: OUTPUT_CHUNK_BYTES }).length;
}

/**
 * Raw-deflate sizes (level 9, 32 KiB window) of payloads each compressed alone against one preset
 * dictionary: for every payload the length of `deflateRawSync(payload, { level: 9, dictionary })`,
 * index-aligned with `payloads`.
 *
 * A fresh zlib stream per payload allocates and clears about 300 KiB of zlib state, so the
 * payloads share one stream, reset between them (Node's reset applies the dictionary again).
 * Sizes stay exactly those of fresh streams because the payloads go through it in ascending
 * length: the only state a reset keeps is the window's contents past the dictionary, and zlib
 * reads at most 258 bytes past a payload's end, bytes a fresh stream holds as zeros (zlib zeroes
 * them before a match may read them). A payload no longer than the ones before it never reaches
 * bytes an earlier payload wrote, so they are still the zeros a fresh stream would read.
 * Payloads over {@link MAX_REUSED_PAYLOAD_BYTES}, or every payload when Node's zlib binding does
 * not offer a synchronous write, get a stream of their own.
 */
export function dictionaryDeflatedSizes(payloads: readonly Uint8Array[], dictionary: Uint8Array): number[] {
  const sizes = new Array<number>(payloads.length).fill(0);
  const order = Array.from({ length: payloads.length }, (_, index) => index).sort((a, b) => payloads[a]!.length - payloads[b]!.length || a - b);
  const stream = createDeflateRaw({ level: DICTIONARY_DEFLATE_LEVEL, dictionary, chunkSize: OUTPUT_CHUNK_BYTES });
  // A failure of the binding is reported on the stream: the fresh stream of that payload measures it (and raises it) instead.
  stream.on("error", () => {});
  const internals = stream as unknown as { _handle?: Partial<ZlibHandle> | null; _writeState?: Uint32Array };
  const handle = internals._handle;
  const writeState = internals._writeState;
  const reusable = handle !== null && handle !== undefined && typeof handle.writeSync === "function" && typeof handle.reset === "function" && writeState instanceof Uint32Array;
  let longest = 0;
  for (const payload of payloads) if (payload.length <= MAX_REUSED_PAYLOAD_BYTES && payload.length > longest) longest = payload.length;
  // Larger than deflate's bound for any payload measured here (stored blocks add 5 bytes per 16 KiB): a full output falls back.
  const output = reusable ? Buffer.allocUnsafe(longest + (longest >>> 4) + 64) : undefined;
  try {
    for (const index of order) {
      const payload = payloads[index]!;
      let size = -1;
      // A stream the binding closed (after an error) is not written again.
      if (output !== undefined && payload.length <= MAX_REUSED_PAYLOAD_BYTES && internals._handle === handle) {
        try {
          (handle as ZlibHandle).writeSync(constants.Z_FINISH, payload, 0, payload.length, output, 0, output.length);
          const outputLeft = writeState![0]!;
          const inputLeft = writeState![1]!;
          if (inputLeft === 0 && outputLeft > 0) size = output.length - outputLeft;
          (handle as ZlibHandle).reset();
        } catch {
          size = -1;
        }
      }
      sizes[index] = size >= 0 ? size : freshDictionaryDeflatedBytes(payload, dictionary);
    }
  } finally {
    stream.close();
  }
  return sizes;
}
