import { readSync } from "node:fs";
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { ErrorCode, TickscopeError, type ErrorCodeValue } from "@tickscope/core";

/** What a capture or log can be read from: a file path, a readable stream, or bytes in memory. */
export type ByteSource = string | Readable | Uint8Array;

/** Default read size for files: large enough to amortize per-chunk work, small enough to stay bounded. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;

/** Compressed bytes handed to zlib per call (bounds what a corrupt stretch can take with it). */
const GZIP_WRITE_BYTES = 64 * 1024;
/** The gzip trailer: CRC-32 and length of the uncompressed data. */
const GZIP_TRAILER_BYTES = 8;

function concatBytes(first: Uint8Array, second: Uint8Array): Uint8Array {
  const joined = new Uint8Array(first.length + second.length);
  joined.set(first);
  joined.set(second, first.length);
  return joined;
}

/** Display name of a source for reports: the path, `-` for stdin-like streams, `<memory>` for bytes. */
export function sourceName(source: ByteSource): string {
  if (typeof source === "string") return source;
  if (source instanceof Uint8Array) return "<memory>";
  return "-";
}

/** True when the bytes start with the gzip magic `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** How {@link rawChunks} may fill its read buffers. */
interface ReadBuffers {
  /**
   * True: file reads alternate between two buffers of `chunkBytes`, so a chunk
   * is overwritten by the read after the next one (see {@link openByteStream}).
   * Cleared when the bytes go to zlib, which may hold on to what it was given.
   */
  reuse: boolean;
}

/**
 * Bytes read between two turns of the event loop (see {@link fileChunks}):
 * timers and messages (a fleet heartbeat, a worker's port) still run while a
 * large file is read, at the cost of one `setImmediate` per 32 MiB.
 */
const EVENT_LOOP_TURN_BYTES = 32 * 1024 * 1024;

/** One turn of the event loop. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Reads a file in chunks of `chunkBytes` (views into two alternating buffers while `buffers.reuse`).
 * The reads are synchronous on purpose: the reader parses each chunk right after it is read, so an
 * asynchronous read only handed the copy to a thread-pool thread and waited for it (a thread
 * hand-off, a promise and an idle wait per chunk, and the bytes arrived cold in another core's
 * cache); read here, the kernel's copy leaves them in this core's cache for the parser. The event
 * loop still gets a turn every {@link EVENT_LOOP_TURN_BYTES}.
 */
async function* fileChunks(path: string, chunkBytes: number, buffers: ReadBuffers): AsyncGenerator<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const fd = handle.fd;
    const pair = [new Uint8Array(chunkBytes), new Uint8Array(chunkBytes)];
    let turn = 0;
    let sinceTurnBytes = 0;
    for (;;) {
      let buffer: Uint8Array;
      if (buffers.reuse) {
        buffer = pair[turn]!;
        turn ^= 1;
      } else {
        buffer = new Uint8Array(chunkBytes);
      }
      if (sinceTurnBytes >= EVENT_LOOP_TURN_BYTES) {
        sinceTurnBytes = 0;
        await nextTurn();
      }
      const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      sinceTurnBytes += bytesRead;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

async function* rawChunks(source: ByteSource, chunkBytes: number, buffers: ReadBuffers): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    if (source.length > 0) yield source;
    return;
  }
  try {
    if (typeof source === "string") {
      yield* fileChunks(source, chunkBytes, buffers);
      return;
    }
    for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
      if (typeof chunk === "string") yield Buffer.from(chunk, "latin1");
      else if (chunk.length > 0) yield chunk;
    }
  } catch (error) {
    if (TickscopeError.isInstance(error)) throw error;
    throw new TickscopeError(ErrorCode.io, `cannot read ${sourceName(source)}: ${(error as Error).message}`, {
      cause: error,
      hint: typeof source === "string" ? "check that the file exists and is readable" : undefined,
    });
  }
}

/**
 * Anomaly code of a gzip failure reported by {@link ByteStream.gzipError}:
 * `E_TRUNCATED` when the stream just ends early, `E_GZIP_CORRUPT` for damage
 * (bad header, deflate data, CRC or length).
 */
export function gzipAnomalyCode(error: Error): ErrorCodeValue {
  return (error as { code?: unknown }).code === "Z_BUF_ERROR" ? ErrorCode.truncated : ErrorCode.gzipCorrupt;
}

/** Result of {@link openByteStream}: the (decompressed) chunks and whether gzip was detected. */
export interface ByteStream {
  /**
   * Chunks of the decompressed content, in order. Each chunk is only valid until
   * the next is requested (a plain file's chunk is overwritten by the read after
   * the next one: the reader reuses two buffers).
   */
  chunks: AsyncIterable<Uint8Array>;
  /** True when the source was gzip-compressed. */
  gzip: boolean;
  /** Set when the gzip stream ended early or was corrupt (the chunks before it are still delivered). */
  readonly gzipError: () => Error | undefined;
  /** Releases the source early (closes the file, stops decompression). Safe to call more than once. */
  readonly close: () => Promise<void>;
}

/**
 * Opens a source as a stream of byte chunks, transparently gunzipping `.gz`
 * content (detected by magic, not by file name). Never loads a file whole.
 * A damaged gzip stream ends the chunks early and is reported by `gzipError`.
 */
export async function openByteStream(source: ByteSource, chunkBytes: number = DEFAULT_CHUNK_BYTES): Promise<ByteStream> {
  // Plain files are read into two reused buffers (no fresh 1 MiB allocation, page faults and
  // external-memory GC pressure per read); gzip input gets fresh ones (zlib may keep what it was given).
  const buffers: ReadBuffers = { reuse: true };
  const iterator = rawChunks(source, chunkBytes, buffers)[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done === true) {
    return { chunks: (async function* () {})(), gzip: false, gzipError: () => undefined, close: async () => {} };
  }
  let firstChunk = first.value;
  while (firstChunk.length < 2) {
    // the gzip magic is two bytes: a stream may hand them over one at a time
    const next = await iterator.next();
    if (next.done === true) break;
    firstChunk = concatBytes(firstChunk, next.value);
  }
  if (!isGzip(firstChunk)) {
    return {
      gzip: false,
      gzipError: () => undefined,
      close: async () => void (await iterator.return?.(undefined)),
      chunks: (async function* () {
        yield firstChunk;
        for (;;) {
          const next = await iterator.next();
          if (next.done === true) return;
          yield next.value;
        }
      })(),
    };
  }
  buffers.reuse = false;
  let failure: Error | undefined;
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  const write = async (piece: Uint8Array): Promise<void> => {
    if (!gunzip.write(piece)) await new Promise<void>((resolve) => gunzip.once("drain", resolve));
  };
  // zlib discards the output of the one call that fails. Two measures keep
  // every byte that decompressed: the compressed bytes go in at most
  // GZIP_WRITE_BYTES at a time (bounding what a failure in the middle can take
  // with it), and the last GZIP_TRAILER_BYTES (the CRC and length trailer) are
  // held back and written on their own, so a wrong CRC or length fails a call
  // that produces no output.
  const feed = async (): Promise<void> => {
    try {
      let tail: Uint8Array = new Uint8Array(0);
      let chunk: Uint8Array | undefined = firstChunk;
      while (chunk !== undefined) {
        let bytes: Uint8Array = chunk;
        if (tail.length > 0) {
          if (bytes.length >= GZIP_TRAILER_BYTES) await write(tail);
          else bytes = concatBytes(tail, bytes);
        }
        const keep = Math.min(GZIP_TRAILER_BYTES, bytes.length);
        for (let start = 0; start < bytes.length - keep; start += GZIP_WRITE_BYTES) {
          await write(bytes.subarray(start, Math.min(start + GZIP_WRITE_BYTES, bytes.length - keep)));
        }
        tail = bytes.slice(bytes.length - keep);
        const next = await iterator.next();
        chunk = next.done === true ? undefined : next.value;
      }
      if (tail.length > 0) await write(tail);
      gunzip.end();
    } catch (error) {
      gunzip.destroy(error as Error);
    }
  };
  void feed();
  return {
    gzip: true,
    gzipError: () => failure,
    close: async () => {
      gunzip.destroy();
      await iterator.return?.(undefined);
    },
    chunks: (async function* () {
      try {
        for await (const chunk of gunzip as AsyncIterable<Uint8Array>) yield chunk;
      } catch (error) {
        if (TickscopeError.isInstance(error)) throw error;
        failure = error as Error;
      }
    })(),
  };
}
