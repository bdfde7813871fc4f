import { open, type FileHandle } from "node:fs/promises";
import { Readable } from "node:stream";
import { ErrorCode, TickscopeError } from "@tickscope/core";

/** Options of {@link FollowFileReadable}. */
export interface FollowFileOptions {
  /** How often to look for new bytes once the end is reached, ms (default 200). */
  pollIntervalMs?: number;
  /** End the stream after this long without new bytes, ms (default 30 000; `Infinity` follows forever). */
  idleExitMs?: number;
  /** Bytes read at most per read (default 1 MiB). */
  chunkBytes?: number;
  /** Aborting ends the stream cleanly (e.g. on SIGINT). */
  signal?: AbortSignal;
}

/**
 * A readable stream over a file that is still being written (`tail -f` for
 * binary captures): reads to the end, then polls for new bytes every
 * `pollIntervalMs` and ends once it has found no new bytes for `idleExitMs`
 * (counted from reaching the end, so a slow consumer does not end it early), or
 * when `signal` aborts. A file that shrinks (rotated or truncated) ends the
 * stream. Memory: one chunk in flight.
 */
export class FollowFileReadable extends Readable {
  private handle: FileHandle | undefined;
  private position = 0;
  /** When the reader first found no new bytes (undefined while data flows). */
  private idleSinceMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly pollIntervalMs: number;
  private readonly idleExitMs: number;
  private readonly chunkBytes: number;
  private readonly signal: AbortSignal | undefined;

  constructor(
    readonly path: string,
    options: FollowFileOptions = {},
  ) {
    super({ highWaterMark: options.chunkBytes ?? 1 << 20 });
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.idleExitMs = options.idleExitMs ?? 30_000;
    this.chunkBytes = options.chunkBytes ?? 1 << 20;
    this.signal = options.signal;
  }

  /** Bytes delivered so far. */
  get bytesRead(): number {
    return this.position;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.path, "r").then(
      (handle) => {
        this.handle = handle;
        callback();
      },
      (error: NodeJS.ErrnoException) =>
        callback(
          new TickscopeError(ErrorCode.io, `cannot read '${this.path}': ${error.code ?? error.message}`, {
            hint: "check that the capture file exists and is readable",
            cause: error,
          }),
        ),
    );
  }

  override _read(): void {
    void this.poll();
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    if (this.destroyed) return;
    const handle = this.handle!;
    try {
      if (this.signal?.aborted === true) {
        this.push(null);
        return;
      }
      const buffer = Buffer.allocUnsafe(this.chunkBytes);
      const { bytesRead } = await handle.read(buffer, 0, this.chunkBytes, this.position);
      if (this.destroyed) return;
      if (bytesRead > 0) {
        this.position += bytesRead;
        this.idleSinceMs = undefined;
        this.push(buffer.subarray(0, bytesRead));
        return;
      }
      const { size } = await handle.stat();
      this.idleSinceMs ??= Date.now();
      if (size < this.position || Date.now() - this.idleSinceMs >= this.idleExitMs) {
        this.push(null);
        return;
      }
      this.timer = setTimeout(() => void this.poll(), this.pollIntervalMs);
    } catch (error) {
      this.destroy(new TickscopeError(ErrorCode.io, `cannot read '${this.path}': ${(error as Error).message}`, { cause: error }));
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const handle = this.handle;
    this.handle = undefined;
    if (handle === undefined) {
      callback(error);
      return;
    }
    handle.close().then(
      () => callback(error),
      () => callback(error),
    );
  }
}
