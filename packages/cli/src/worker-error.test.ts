import { describe, expect, it } from "vitest";
import { MessageChannel } from "node:worker_threads";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import { deserializeError, serializeError } from "./worker-error.js";

/** Sends a value through a real structured clone, as postMessage does between threads. */
async function throughPort<T>(value: T): Promise<T> {
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<T>((resolve) => port2.once("message", resolve));
  port1.postMessage(value);
  const result = await received;
  port1.close();
  port2.close();
  return result;
}

describe("errors crossing from a worker thread", () => {
  it("a tickscope error keeps its class, code, hint and position", async () => {
    const original = new TickscopeError(ErrorCode.badBlockLength, "block length 3 at offset 28", { hint: "the file is damaged", offset: 28, fieldPath: "a.b", packetIndex: 4 });
    const rebuilt = deserializeError(await throughPort(serializeError(original)));
    expect(TickscopeError.isInstance(rebuilt)).toBe(true);
    expect(rebuilt).toMatchObject({ code: "E_BAD_BLOCK_LENGTH", message: original.message, hint: "the file is damaged", offset: 28, fieldPath: "a.b", packetIndex: 4 });
    expect(rebuilt.stack).toBe(original.stack);
  });

  it("a Node system error keeps code, syscall and path (the CLI maps it to E_IO)", async () => {
    const original = Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT", syscall: "open", path: "/x" });
    const rebuilt = deserializeError(await throughPort(serializeError(original))) as NodeJS.ErrnoException;
    expect(TickscopeError.isInstance(rebuilt)).toBe(false);
    expect(rebuilt).toMatchObject({ message: "ENOENT: no such file", code: "ENOENT", syscall: "open", path: "/x", name: "Error" });
  });

  it("anything else thrown becomes an error with its text", async () => {
    expect(deserializeError(await throughPort(serializeError("plain text"))).message).toBe("plain text");
    expect(deserializeError(await throughPort(serializeError(42))).message).toBe("42");
    const typeError = deserializeError(await throughPort(serializeError(new TypeError("bad"))));
    expect(typeError).toMatchObject({ name: "TypeError", message: "bad" });
    expect(deserializeError(serializeError({ weird: true })).message).toBe("[object Object]");
  });
});
