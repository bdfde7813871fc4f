import { describe, expect, it } from "vitest";
import { LogEventAttribution } from "./log-event-attribution.js";
import type { LogEvent } from "./log-event.js";

function event(tUs: number, fields: { session?: string; player?: string }, line = 1): LogEvent {
  return { tUs, type: "rtt", values: { rttMs: 50 }, labels: {}, line, ...fields };
}

describe("LogEventAttribution", () => {
  it("files an event under its own session first, then under its player's session", () => {
    const attribution = new LogEventAttribution();
    attribution.learnPlayer("7", "udp:a-b");
    expect(attribution.attribute(event(1, { session: "udp:x-y", player: "7" }))).toEqual({ kind: "session", sessionId: "udp:x-y" });
    expect(attribution.attribute(event(2, { player: "7" }))).toEqual({ kind: "session", sessionId: "udp:a-b" });
    expect(attribution.sessionOf("7")).toBe("udp:a-b");
  });

  it("holds an event whose player no session has named yet and releases it, in order, when one does", () => {
    const attribution = new LogEventAttribution();
    const first = event(1, { player: "5" }, 1);
    const second = event(2, { player: "5" }, 2);
    expect(attribution.attribute(first)).toEqual({ kind: "held" });
    expect(attribution.attribute(second)).toEqual({ kind: "held" });
    expect(attribution.attribute(event(3, { player: "6" }, 3))).toEqual({ kind: "held" });
    expect(attribution.unattributedEvents).toBe(3);
    expect(attribution.unknownPlayers()).toEqual(["5", "6"]);
    expect(attribution.learnPlayer("5", "udp:c-s")).toEqual([first, second]);
    expect(attribution.unattributedEvents).toBe(1);
    expect(attribution.learnPlayer("5", "udp:c-s")).toEqual([]);
    expect(attribution.attribute(event(4, { player: "5" }))).toEqual({ kind: "session", sessionId: "udp:c-s" });
  });

  it("calls an event with neither session nor player capture-wide, never a made-up session", () => {
    expect(new LogEventAttribution().attribute(event(1, {}))).toEqual({ kind: "captureWide" });
  });

  it("bounds what it holds and counts the overflow as unattributed", () => {
    const attribution = new LogEventAttribution({ maxHeldEvents: 2 });
    for (let index = 0; index < 5; index++) attribution.attribute(event(index, { player: "9" }));
    expect(attribution.unattributedEvents).toBe(5);
    expect(attribution.learnPlayer("9", "s")).toHaveLength(2);
    expect(attribution.unattributedEvents).toBe(3);
    expect(new LogEventAttribution({ maxHeldEvents: -1 }).attribute(event(0, { player: "1" }))).toEqual({ kind: "held" });
  });
});
