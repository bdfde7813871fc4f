import { describe, expect, it } from "vitest";
import { hasErrorCode } from "@tickscope/core";
import { parseNetem, toClumsySettings, toNetemCommand } from "./netem.js";
import { gilbertElliottStationaryLoss } from "./gilbert-elliott.js";
import { PROFILE_NAMES, PROFILES, profileBaseDelayMs } from "./profiles.js";

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

describe("netem export and parse", () => {
  it.each(PROFILE_NAMES)("round-trips profile %s through a netem command", (name) => {
    const profile = PROFILES[name];
    for (const direction of ["uplink", "downlink"] as const) {
      const command = toNetemCommand(profile, { direction, device: "enp3s0" });
      expect(command.startsWith("tc qdisc add dev enp3s0 root netem delay ")).toBe(true);
      const parsed = parseNetem(command, name);
      expect(parsed.accessDelayMs).toBeCloseTo(profileBaseDelayMs(profile), 6);
      expect(parsed.jitterMs).toBeCloseTo(profile.jitterMs, 9);
      expect(parsed.jitterDistribution).toBe(profile.jitterDistribution);
      expect(parsed.loss.p).toBeCloseTo(profile.loss.p, 9);
      expect(parsed.loss.r).toBeCloseTo(profile.loss.r, 9);
      expect(parsed.loss.h).toBeCloseTo(profile.loss.h, 9);
      expect(parsed.loss.k).toBeCloseTo(profile.loss.k, 9);
      expect(gilbertElliottStationaryLoss(parsed.loss)).toBeCloseTo(gilbertElliottStationaryLoss(profile.loss), 9);
      expect(parsed.reorderProbability).toBeCloseTo(profile.reorderProbability, 12);
      expect(parsed.duplicateProbability).toBeCloseTo(profile.duplicateProbability, 12);
      const capacity = direction === "uplink" ? profile.uplinkBitsPerSecond : profile.downlinkBitsPerSecond;
      expect(parsed.downlinkBitsPerSecond).toBe(capacity);
      expect(parsed.queueLimitPackets).toBe(profile.queueLimitPackets);
      // Exporting the parsed profile again gives the same command (fixed point).
      expect(toNetemCommand(parsed, { direction, device: "enp3s0" })).toBe(command);
    }
  });

  it("renders the 4g profile as expected", () => {
    expect(toNetemCommand(PROFILES["4g"], { distanceKm: 0 })).toBe(
      "tc qdisc add dev eth0 root netem delay 25ms 8ms distribution pareto loss gemodel 0.3367003367% 33.33333333% 100% 0% reorder 0.2% duplicate 0.02% rate 40mbit limit 400",
    );
    expect(toNetemCommand(PROFILES.fibre, { verb: "change", distanceKm: 0 })).toContain("tc qdisc change dev eth0 root netem delay 1.5ms 0.3ms distribution normal");
  });

  it("parses hand-written netem strings", () => {
    const simple = parseNetem("delay 100ms 10ms 25% loss 1% 25% duplicate 1% reorder 25% 50% rate 1.5mbit limit 50 corrupt 0.1%");
    expect(simple.accessDelayMs).toBe(100);
    expect(simple.jitterMs).toBe(10);
    expect(gilbertElliottStationaryLoss(simple.loss)).toBeCloseTo(0.01, 12);
    expect(simple.duplicateProbability).toBeCloseTo(0.01, 12);
    expect(simple.reorderProbability).toBeCloseTo(0.25, 12);
    expect(simple.uplinkBitsPerSecond).toBe(1_500_000);
    expect(simple.queueLimitPackets).toBe(50);
    const units = parseNetem("tc qdisc replace dev eth1 root netem delay 1s 500us distribution paretonormal loss random 2% rate 100kbps slot 800us 1ms");
    expect(units.accessDelayMs).toBe(1000);
    expect(units.jitterMs).toBe(0.5);
    expect(units.jitterDistribution).toBe("exponential");
    expect(units.uplinkBitsPerSecond).toBe(800_000);
    const gemodel = parseNetem("loss gemodel 1%");
    expect(gemodel.loss).toEqual({ p: 0.01, r: 0.99, h: 0, k: 1 });
    expect(parseNetem("delay 20 ecn seed 5").accessDelayMs).toBeCloseTo(0.02, 12);
    expect(parseNetem("delay 5ms 1ms distribution normal").jitterDistribution).toBe("normal");
  });

  it("rejects what it cannot represent, naming the problem", () => {
    expectInvalid(() => parseNetem("delay fast"), "netem.delay");
    expectInvalid(() => parseNetem("delay 5parsecs"), "unknown time unit");
    expectInvalid(() => parseNetem("loss state 1% 2%"), "4-state");
    expectInvalid(() => parseNetem("loss 150%"), "above 100%");
    expectInvalid(() => parseNetem("loss lots"), "netem.loss");
    expectInvalid(() => parseNetem("rate 5furlongs"), "unknown rate unit");
    expectInvalid(() => parseNetem("rate"), "netem.rate");
    expectInvalid(() => parseNetem("limit -3"), "netem.limit");
    expectInvalid(() => parseNetem("delay 5ms 1ms distribution weird"), "unsupported distribution");
    expectInvalid(() => parseNetem("teleport 5"), "unsupported netem keyword");
  });
});

describe("clumsy settings", () => {
  it("keeps mean delay, long-run loss and capacity", () => {
    const settings = toClumsySettings(PROFILES["wifi-congested"], { distanceKm: 0 });
    expect(settings.lag).toEqual({ enabled: true, delayMs: 21 }); // 6 ms access + 15 ms mean pareto jitter
    expect(settings.drop.chancePercent).toBe(3);
    expect(settings.duplicate).toEqual({ enabled: true, count: 2, chancePercent: 0.1 });
    expect(settings.outOfOrder.chancePercent).toBe(0.5);
    expect(settings.bandwidth.limitKilobytesPerSecond).toBe(1500);
    expect(settings.commandLine).toBe(
      'clumsy.exe --filter "udp" --lag on --lag-time 21 --drop on --drop-chance 3 --duplicate on --duplicate-count 2 --duplicate-chance 0.1 --ood on --ood-chance 0.5 --bandwidth on --bandwidth-bandwidth 1500',
    );
    const fibre = toClumsySettings(PROFILES.fibre, { direction: "uplink", filter: "udp.DstPort == 7777" });
    expect(fibre.duplicate.enabled).toBe(false);
    expect(fibre.outOfOrder.enabled).toBe(false);
    expect(fibre.bandwidth.limitKilobytesPerSecond).toBe(37500);
    expect(fibre.commandLine).toContain('--filter "udp.DstPort == 7777"');
    const lossless = toClumsySettings({ ...PROFILES.fibre, accessDelayMs: 0, typicalPathKm: 0, loss: { p: 0, r: 1, h: 0, k: 1 } });
    expect(lossless.lag.enabled).toBe(false);
    expect(lossless.drop.enabled).toBe(false);
  });
});
