import { describe, expect, it } from "vitest";
import type { MessageRoles } from "@tickscope/core";
import { LogHistogram } from "./histogram.js";
import { StateSyncTracker } from "./state-sync.js";

const roles = (entities: { id: number; x: number; vx?: number }[]): MessageRoles =>
  ({
    entities: entities.map(({ id, x, vx }) => ({ entityId: id, position: { x, y: 0, z: 0 }, velocity: vx === undefined ? undefined : { x: vx, y: 0, z: 0 }, rotation: undefined })),
  }) as unknown as MessageRoles;

describe("StateSyncTracker entities", () => {
  it("measures correction jumps for dense (grown) and sparse ids alike, with and without velocity", () => {
    const tracker = new StateSyncTracker(100_000, 4096);
    const ids = [0, 3, 200, 4095, 4096, -1, 2.5, 1e9];
    tracker.onEntities(roles(ids.map((id) => ({ id, x: 1 }))), 1_000_000, 0);
    // One second later: moved by 2 without velocity (jump 2), then with velocity 3 predicted exactly (jump 0).
    tracker.onEntities(roles(ids.map((id) => ({ id, x: 3, vx: 3 }))), 2_000_000, 0);
    tracker.onEntities(roles(ids.map((id) => ({ id, x: 6, vx: 3 }))), 3_000_000, 2);
    expect(tracker.jumpBaseline.count).toBe(ids.length);
    expect(tracker.jumpBaseline.max).toBe(2 * StateSyncTracker.jumpScale ** -1);
    expect(tracker.jumpAfterLoss.count).toBe(ids.length);
    expect(tracker.jumpAfterLoss.max).toBe(0);
    const saved = tracker.saveState();
    expect(saved.entities.map((entry) => entry[0])).toEqual([0, 3, 200, 4095, 4096, -1, 2.5, 1e9]);
    expect(saved.firstEntities).toHaveLength(ids.length);
    const restored = new StateSyncTracker(100_000, 4096);
    restored.mergeState(JSON.parse(JSON.stringify(saved)));
    expect(restored.saveState().entities).toEqual(saved.entities);
  });

  it("adds held jumps to their histograms in measurement order (sums bit-identical), whenever they are read or saved", () => {
    const tracker = new StateSyncTracker(100_000, 4096);
    const afterLoss = new LogHistogram();
    const baseline = new LogHistogram();
    const last = new Map<number, number>();
    const ids = [1, 2, 5000];
    for (let snapshot = 0; snapshot < 700; snapshot++) {
      const skipped = snapshot % 7 === 3 ? 1 : 0;
      const entities = ids.map((id) => ({ id, x: Math.sin(snapshot * 0.37 + id) * 10 + snapshot / 3 }));
      tracker.onEntities(roles(entities), 1_000_000 + snapshot * 33_333, skipped);
      for (const { id, x } of entities) {
        const previous = last.get(id);
        if (previous !== undefined) (skipped > 0 ? afterLoss : baseline).add(Math.sqrt((x - previous) * (x - previous)) * 1000);
        last.set(id, x);
      }
      if (snapshot === 100) expect(tracker.jumpBaseline.saveState()).toEqual(baseline.saveState());
    }
    expect(tracker.jumpAfterLoss.saveState()).toEqual(afterLoss.saveState());
    expect(tracker.jumpBaseline.saveState()).toEqual(baseline.saveState());
    tracker.onEntities(roles(ids.map((id) => ({ id, x: 0 }))), 1_000_000 + 700 * 33_333, 0);
    for (const id of ids) baseline.add(Math.abs(last.get(id)!) * 1000);
    expect(tracker.saveState().jumpBaseline).toEqual(baseline.saveState());
  });

  it("drops entities beyond the limit, dense or sparse, and counts them", () => {
    const tracker = new StateSyncTracker(100_000, 2);
    tracker.onEntities(roles([{ id: 1, x: 0 }, { id: 5000, x: 0 }, { id: 2, x: 0 }, { id: 6000, x: 0 }]), 1_000_000, 0);
    expect(tracker.entitiesDropped).toBe(2);
    const restored = new StateSyncTracker(100_000, 1);
    restored.mergeState(tracker.saveState());
    expect(restored.entitiesDropped).toBe(3);
    expect(restored.saveState().entities).toHaveLength(1);
  });

  it("continues a later pass's first updates against the entities it holds (dense and sparse)", () => {
    const earlier = new StateSyncTracker(100_000, 4096);
    earlier.onUpdate(1_000_000, 1, 0);
    earlier.onEntities(roles([{ id: 7, x: 0 }, { id: 9000, x: 0 }]), 1_000_000, 0);
    const later = new StateSyncTracker(100_000, 4096);
    later.onUpdate(1_050_000, 2, 0);
    later.onEntities(roles([{ id: 7, x: 4 }, { id: 9000, x: 5 }, { id: 8, x: 1 }]), 1_050_000, 0);
    earlier.continueWith(later.saveState(), 1);
    // The first update after the cut followed a loss: both known entities' jumps count after loss.
    expect(earlier.jumpAfterLoss.count).toBe(2);
    expect(earlier.jumpAfterLoss.max).toBe(5000);
    expect(earlier.saveState().entities.map((entry) => entry[0])).toEqual([7, 8, 9000]);
  });
});
