import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openByteStream } from "./byte-source.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-byte-source-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("openByteStream on a file", () => {
  it("reads every byte in order, one read ahead, and lets the event loop turn while reading", async () => {
    const size = 70 * 1024 * 1024 + 123;
    const content = new Uint8Array(size);
    for (let offset = 0; offset < size; offset += 4096) content[offset] = (offset >>> 12) & 255;
    const path = join(directory, "big.bin");
    writeFileSync(path, content);
    const stream = await openByteStream(path, 1 << 20);
    // macrotask turns counted while the chunks arrive (timers and worker messages keep running)
    let turns = 0;
    let done = false;
    const tick = (): void => {
      turns += 1;
      if (!done) setImmediate(tick);
    };
    let position = 0;
    let turnsAtFirstChunk = -1;
    let mismatches = 0;
    for await (const chunk of stream.chunks) {
      if (turnsAtFirstChunk < 0) {
        turnsAtFirstChunk = turns;
        setImmediate(tick);
      }
      for (let index = 0; index < chunk.length; index += 4096) if (chunk[index] !== content[position + index]) mismatches += 1;
      position += chunk.length;
    }
    const turnsWhileReading = turns - turnsAtFirstChunk;
    done = true;
    await stream.close();
    expect(position).toBe(size);
    expect(mismatches).toBe(0);
    expect(stream.gzip).toBe(false);
    expect(turnsWhileReading).toBeGreaterThanOrEqual(2);
  });

  it("keeps a chunk intact until the chunk after the next is requested (the read ahead goes into a third buffer), and closes early cleanly", async () => {
    const chunkBytes = 4096;
    const content = Uint8Array.from({ length: chunkBytes * 9 + 17 }, (_, index) => (index * 31 + (index >>> 12)) & 255);
    const path = join(directory, "rotation.bin");
    writeFileSync(path, content);
    const stream = await openByteStream(path, chunkBytes);
    let previous: Uint8Array | undefined;
    let previousStart = 0;
    let position = 0;
    let intact = 0;
    for await (const chunk of stream.chunks) {
      // the chunk before this one must still hold its bytes
      if (previous !== undefined && previous.every((value, index) => value === content[previousStart + index])) intact += 1;
      expect([...chunk]).toEqual([...content.subarray(position, position + chunk.length)]);
      previous = chunk;
      previousStart = position;
      position += chunk.length;
    }
    expect(position).toBe(content.length);
    expect(intact).toBe(9);
    // stopping after two chunks, with a read in flight, settles and closes without an error
    const early = await openByteStream(path, chunkBytes);
    let seen = 0;
    for await (const chunk of early.chunks) {
      seen += chunk.length;
      if (seen >= 2 * chunkBytes) break;
    }
    await early.close();
    expect(seen).toBe(2 * chunkBytes);
  });

  it("reports an unreadable path as E_IO", async () => {
    const stream = openByteStream(join(directory, "missing.pcap"));
    await expect(stream).rejects.toMatchObject({ code: "E_IO" });
  });
});
