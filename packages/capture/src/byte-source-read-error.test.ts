import { describe, expect, it, vi } from "vitest";

// A file whose second read fails (EIO): the read ahead is in flight while the consumer does other work.
vi.mock("node:fs/promises", () => ({
  open: async () => {
    let reads = 0;
    return {
      fd: -1,
      read: async (buffer: Uint8Array) => {
        reads += 1;
        if (reads === 1) {
          buffer.fill(7, 0, 16);
          return { bytesRead: 16, buffer };
        }
        throw Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" });
      },
      close: async () => undefined,
    };
  },
}));

const { openByteStream } = await import("./byte-source.js");

describe("openByteStream read errors", () => {
  it("reports a failed read ahead as E_IO when its chunk is requested, never as an unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const stream = await openByteStream("/virtual/capture.pcapng", 16);
      const iterator = stream.chunks[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect([...(first.value as Uint8Array)]).toEqual(new Array(16).fill(7));
      // other work (a server log read ahead) while the failing read settles
      await new Promise((resolve) => setTimeout(resolve, 30));
      await expect(iterator.next()).rejects.toMatchObject({ code: "E_IO" });
      await stream.close();
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
