import { describe, expect, it } from "vitest";
import { ErrorCode, TickscopeError, hasErrorCode } from "./errors.js";
import { AnomalyCounter } from "./anomaly.js";

describe("TickscopeError", () => {
  it("carries a stable code, offset and field path", () => {
    const error = new TickscopeError(ErrorCode.truncated, "record cut", { offset: 24, fieldPath: "a.b", hint: "h" });
    expect(error.code).toBe("E_TRUNCATED");
    expect(error.offset).toBe(24);
    expect(error.fieldPath).toBe("a.b");
    expect(error.hint).toBe("h");
    expect(TickscopeError.isInstance(error)).toBe(true);
    expect(hasErrorCode(error, ErrorCode.truncated)).toBe(true);
    expect(hasErrorCode(error, ErrorCode.badMagic)).toBe(false);
  });

  it("is recognized across package copies by its marker, not by instanceof", () => {
    const foreign = Object.assign(new Error("x"), { [Symbol.for("tickscope.error")]: true, code: "E_IO" });
    expect(TickscopeError.isInstance(foreign)).toBe(true);
    expect(TickscopeError.isInstance(new Error("x"))).toBe(false);
    expect(TickscopeError.isInstance(null)).toBe(false);
  });
});

describe("AnomalyCounter", () => {
  it("counts by code and keeps the first examples only", () => {
    const counter = new AnomalyCounter(2);
    for (let index = 0; index < 5; index++) counter.add(ErrorCode.truncated, index);
    counter.add(ErrorCode.badIpHeader, 9);
    expect(counter.count(ErrorCode.truncated)).toBe(5);
    expect(counter.total).toBe(6);
    expect(counter.toSummary()).toEqual({
      E_BAD_IP_HEADER: { count: 1, examples: [9] },
      E_TRUNCATED: { count: 5, examples: [0, 1] },
    });
    const other = new AnomalyCounter(2);
    other.add(ErrorCode.badIpHeader, 10);
    other.add(ErrorCode.badIpHeader, 11);
    counter.merge(other);
    expect(counter.toCounts()).toEqual({ E_BAD_IP_HEADER: 3, E_TRUNCATED: 5 });
    expect(counter.toSummary().E_BAD_IP_HEADER!.examples).toEqual([9, 10]);
  });
});
