import { describe, expect, it } from "vitest";
import { parseKeyFile, reverseSessionId } from "./key-file.js";

describe("key files name a session in either orientation", () => {
  it("reverses session ids, IPv4 and IPv6", () => {
    expect(reverseSessionId("udp:10.0.0.2:50000-10.0.0.1:7777")).toBe("udp:10.0.0.1:7777-10.0.0.2:50000");
    expect(reverseSessionId("udp:[fd00::2]:5000-[fd00::1]:4000")).toBe("udp:[fd00::1]:4000-[fd00::2]:5000");
    expect(reverseSessionId("relay")).toBeUndefined();
    expect(reverseSessionId("udp:a-b-c")).toBeUndefined();
    expect(reverseSessionId("udp:-b")).toBeUndefined();
    expect(reverseSessionId(":a-b")).toBeUndefined();
  });

  it("finds a key written for the reversed session with the direction reversed; exact lines and orientation win over *", () => {
    const store = parseKeyFile(
      [
        "# written by a tool that took 10.0.0.2:3074 for the server",
        "udp:10.0.0.1:7777-10.0.0.2:3074 clientToServer 11111111111111111111111111111111",
        "udp:10.0.0.1:7777-10.0.0.2:3074 serverToClient 22222222222222222222222222222222",
        "udp:10.0.0.3:2000-10.0.0.1:7777 both 33333333333333333333333333333333",
        "* both 44444444444444444444444444444444",
      ].join("\n"),
    );
    const hex = (key: Uint8Array | undefined) => (key === undefined ? undefined : Buffer.from(key).toString("hex").slice(0, 2));
    // our orientation: the console 10.0.0.2:3074 is the client
    expect(hex(store.lookup("udp:10.0.0.2:3074-10.0.0.1:7777", "clientToServer"))).toBe("22");
    expect(hex(store.lookup("udp:10.0.0.2:3074-10.0.0.1:7777", "serverToClient"))).toBe("11");
    expect(hex(store.lookup("udp:10.0.0.1:7777-10.0.0.2:3074", "clientToServer"))).toBe("11");
    expect(hex(store.lookup("udp:10.0.0.3:2000-10.0.0.1:7777", "serverToClient"))).toBe("33");
    expect(hex(store.lookup("udp:10.0.0.1:7777-10.0.0.3:2000", "clientToServer"))).toBe("33");
    expect(hex(store.lookup("udp:10.0.0.9:1-10.0.0.1:7777", "clientToServer"))).toBe("44");
    expect(hex(store.lookup("relay", "clientToServer"))).toBe("44");
    expect(hex(store.provider()({ sessionId: "udp:10.0.0.2:3074-10.0.0.1:7777", direction: "clientToServer", keyName: "netcode" }))).toBe("22");
  });
});
