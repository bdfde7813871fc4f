import { describe, expect, it } from "vitest";
import { escapeTerminalDocument, escapeTerminalStrings, escapeTerminalText } from "./terminal-text.js";

describe("terminal escaping of echoed user text", () => {
  it("turns control characters into visible escapes, so one line stays one line", () => {
    const forged = "evil\ntickscope: E_FAKE: forged\u001b[31m\r\u0007\u009b2J\u202eabc\u2028";
    const escaped = escapeTerminalText(forged);
    expect(escaped).toBe("evil\\ntickscope: E_FAKE: forged\\e[31m\\r\\x07\\x9b2J\\u202eabc\\u2028");
    expect(escaped).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it("leaves ordinary text, accents and emoji alone", () => {
    expect(escapeTerminalText("São Paulo — 203.0.113.10 🎮 'x'")).toBe("São Paulo — 203.0.113.10 🎮 'x'");
  });

  it("keeps the layout of documents but escapes the rest", () => {
    expect(escapeTerminalDocument("| a\t| b |\n| \u001b[2J | c |\n")).toBe("| a\t| b |\n| \\e[2J | c |\n");
  });

  it("escapes every string and key of plain data", () => {
    expect(escapeTerminalStrings({ "a\nb": ["x\u001b", 3, { c: "d\r" }], n: null })).toEqual({ "a\\nb": ["x\\e", 3, { c: "d\\r" }], n: null });
  });
});
