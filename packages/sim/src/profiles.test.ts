import { describe, expect, it } from "vitest";
import { hasErrorCode } from "@tickscope/core";
import { gilbertElliottStationaryLoss } from "./gilbert-elliott.js";
import {
  getProfile,
  NETWORK_PROFILE_JSON_SCHEMA,
  parseNetworkProfile,
  profileBaseDelayMs,
  profileToJson,
  PROFILE_NAMES,
  PROFILES,
  propagationDelayMs,
  resolveProfile,
} from "./profiles.js";

function expectInvalid(action: () => unknown, fragment: string): void {
  try {
    action();
  } catch (error) {
    expect(hasErrorCode(error, "E_INVALID_OPTION")).toBe(true);
    expect(String((error as Error).message)).toContain(fragment);
    return;
  }
  throw new Error("expected E_INVALID_OPTION");
}

describe("network profiles", () => {
  it("ships the seven named profiles with plausible numbers", () => {
    expect(PROFILE_NAMES).toEqual(["4g", "5g", "cable", "dsl", "fibre", "intercontinental", "wifi-congested"]);
    for (const name of PROFILE_NAMES) {
      const profile = PROFILES[name];
      expect(profile.name).toBe(name);
      const loss = gilbertElliottStationaryLoss(profile.loss);
      expect(loss).toBeGreaterThan(0);
      expect(loss).toBeLessThan(0.05);
      expect(profile.uplinkBitsPerSecond).toBeLessThanOrEqual(profile.downlinkBitsPerSecond);
    }
    // Ordering a netcode engineer expects.
    expect(profileBaseDelayMs(PROFILES.fibre)).toBeLessThan(profileBaseDelayMs(PROFILES.cable));
    expect(profileBaseDelayMs(PROFILES["5g"])).toBeLessThan(profileBaseDelayMs(PROFILES["4g"]));
    expect(profileBaseDelayMs(PROFILES.intercontinental)).toBeGreaterThan(60);
    expect(propagationDelayMs(2000, 1)).toBe(10);
  });

  it("parses JSON profiles on top of a base, with both loss notations", () => {
    const custom = parseNetworkProfile({ name: "lab", base: "dsl", jitterMs: 4, jitterDistribution: "exponential", loss: { rate: 0.02, meanBurstPackets: 5 }, queueLimitPackets: 30 });
    expect(custom.accessDelayMs).toBe(PROFILES.dsl.accessDelayMs);
    expect(custom.jitterMs).toBe(4);
    expect(custom.jitterDistribution).toBe("exponential");
    expect(gilbertElliottStationaryLoss(custom.loss)).toBeCloseTo(0.02, 12);
    expect(custom.loss.r).toBeCloseTo(0.2, 12);
    expect(custom.description).toContain("dsl");
    const explicit = parseNetworkProfile({ name: "ge", description: "x", loss: { p: 0.1, r: 0.5 } });
    expect(explicit.loss).toEqual({ p: 0.1, r: 0.5, h: 0, k: 1 });
    expect(parseNetworkProfile({ name: "b", loss: { rate: 0.01 } }).loss.r).toBe(1);
    expect(parseNetworkProfile({ name: "c", loss: { p: 0.1, r: 0.5, h: 0.2, k: 0.9 } }).loss).toEqual({ p: 0.1, r: 0.5, h: 0.2, k: 0.9 });
    // profileToJson output parses back to the same profile.
    expect(parseNetworkProfile(profileToJson(PROFILES["4g"]))).toEqual({ ...PROFILES["4g"] });
    expect(Object.keys(NETWORK_PROFILE_JSON_SCHEMA.properties)).toContain("loss");
  });

  it("resolves names, complete profiles and documents", () => {
    expect(resolveProfile("cable")).toBe(PROFILES.cable);
    expect(resolveProfile(PROFILES["5g"])).toBe(PROFILES["5g"]);
    expect(resolveProfile({ name: "doc", base: "fibre" }).accessDelayMs).toBe(PROFILES.fibre.accessDelayMs);
    expect(getProfile("dsl").name).toBe("dsl");
  });

  it("rejects bad documents with the JSON path", () => {
    expectInvalid(() => getProfile("dialup"), 'unknown profile "dialup"');
    expectInvalid(() => parseNetworkProfile(null), "profile: expected an object");
    expectInvalid(() => parseNetworkProfile([]), "profile: expected an object");
    expectInvalid(() => parseNetworkProfile({ name: "" }), "profile.name");
    expectInvalid(() => parseNetworkProfile({ name: "x", colour: "red" }), "profile.colour");
    expectInvalid(() => parseNetworkProfile({ name: "x", base: 4 }), "profile.base");
    expectInvalid(() => parseNetworkProfile({ name: "x", jitterMs: -1 }), "profile.jitterMs");
    expectInvalid(() => parseNetworkProfile({ name: "x", jitterMs: "5" }), "profile.jitterMs");
    expectInvalid(() => parseNetworkProfile({ name: "x", queueLimitPackets: 2.5 }), "profile.queueLimitPackets");
    expectInvalid(() => parseNetworkProfile({ name: "x", jitterDistribution: "cauchy" }), "profile.jitterDistribution");
    expectInvalid(() => parseNetworkProfile({ name: "x", loss: 3 }), "profile.loss");
    expectInvalid(() => parseNetworkProfile({ name: "x", loss: { p: 2, r: 0.5 } }), "profile.loss.p");
    expectInvalid(() => parseNetworkProfile({ name: "x", loss: { rate: 0.5, meanBurstPackets: 0 } }), "profile.loss.meanBurstPackets");
  });
});
