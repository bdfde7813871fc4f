import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openByteStream } from "./byte-source.js";

const directory = mkdtempSync(join(tmpdir(), "tickscope-byte-source-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("openByteStream on a file", () => {
  it("reads every byte in order with synchronous reads and still lets the event loop turn every 32 MiB", async () => {
    const size = 70 * 1024 * 1024 + 123;
    const content = new Uint8Array(size);
    for (let offset = 0; offset < size; offset += 4096) content[offset] = (offset >>> 12) & 255;
    const path = join(directory, "big.bin");
    writeFileSync(path, content);
    const stream = await openByteStream(path, 1 << 20);
    // macrotask turns counted while the chunks arrive: without the periodic turn, none would run before the end
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
    expect(turnsWhileReading).toBeGreaterThanOrEqual(2); // at 32 and 64 MiB
  });

  it("reports an unreadable path as E_IO", async () => {
    const stream = openByteStream(join(directory, "missing.pcap"));
    await expect(stream).rejects.toMatchObject({ code: "E_IO" });
  });
});
