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
   * True: file reads rotate through three buffers of `chunkBytes` (one read ahead), so a
   * chunk is overwritten by the read after the next one (see {@link openByteStream}).
   * Cleared when the bytes go to zlib, which may hold on to what it was given.
   */
  reuse: boolean;
}

/**
 * Reads a file in chunks of `chunkBytes` (views into three rotating buffers while `buffers.reuse`),
 * one read ahead: the next chunk is read on a thread-pool thread while the consumer parses this one,
 * so the reading thread neither copies the bytes itself nor waits idle for them. A chunk's buffer is
 * only refilled once two later chunks were requested (the read after the next one, as documented).
 */
async function* fileChunks(path: string, chunkBytes: number, buffers: ReadBuffers): AsyncGenerator<Uint8Array> {
  const handle = await open(path, "r");
  let pending: Promise<{ buffer: Uint8Array; bytesRead: number }> | undefined;
  try {
    const ring = [new Uint8Array(chunkBytes), new Uint8Array(chunkBytes), new Uint8Array(chunkBytes)];
    let turn = 0;
    const readNext = (): Promise<{ buffer: Uint8Array; bytesRead: number }> => {
      let buffer: Uint8Array;
      if (buffers.reuse) {
        buffer = ring[turn]!;
        turn = turn === 2 ? 0 : turn + 1;
      } else {
        buffer = new Uint8Array(chunkBytes);
      }
      const read = handle.read(buffer, 0, buffer.length, null).then(({ bytesRead }) => ({ buffer, bytesRead }));
      // A failure is thrown where the chunk is awaited; until then (the consumer may await other
      // work, such as a server log, while the read is in flight) it is not an unhandled rejection.
      read.catch(() => undefined);
      return read;
    };
    pending = readNext();
    for (;;) {
      const { buffer, bytesRead } = await pending;
      pending = undefined;
      if (bytesRead === 0) return;
      pending = readNext();
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    // a read still in flight (the consumer stopped early, or a read failed) settles before the file closes
    if (pending !== undefined) await pending.catch(() => undefined);
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
   * the next one: the reader rotates three buffers, one read ahead).
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
  // Plain files are read into three rotating buffers (no fresh 1 MiB allocation, page faults and
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
