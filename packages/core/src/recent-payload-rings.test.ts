import { describe, expect, it } from "vitest";
import { RecentDatagrams } from "./recent-datagrams.js";
import { DEFAULT_RECENT_DATAGRAMS as RING_ENTRIES, RecentPayloadRings } from "./recent-payload-rings.js";
import { createRandom } from "./seeded-random.js";

describe("RecentPayloadRings", () => {
  it("answers every find and saves the same columns as core's RecentDatagrams, ring by ring (40 interleaved rings, tag collisions, growth)", () => {
    const generator = createRandom(7);
    const random = (): number => generator.nextUint32() / 2 ** 32;
    const rings = new RecentPayloadRings();
    const references: RecentDatagrams[] = [];
    const handles: number[] = [];
    for (let index = 0; index < 40; index++) {
      handles.push(rings.allocate());
      references.push(new RecentDatagrams(RING_ENTRIES));
    }
    expect(rings.size).toBe(40);
    let found = 0;
    for (let step = 0; step < 20_000; step++) {
      const which = Math.floor(random() * 40);
      // Few distinct fingerprints, some sharing their low 16 bits (the tag) but not the rest, and lengths that differ for one fingerprint.
      const fingerprint = (Math.floor(random() * 48) * 0x10000 + Math.floor(random() * 3)) >>> 0;
      const length = 100 + Math.floor(random() * 3);
      const ring = handles[which]!;
      const reference = references[which]!;
      const match = rings.find(ring, fingerprint, length);
      expect(match).toBe(reference.find(fingerprint, length));
      if (match >= 0) {
        found += 1;
        expect(rings.timeUs(ring, match)).toBe(reference.timeUs(match));
        expect(rings.ipIdentification(ring, match)).toBe(reference.ipIdentification(match));
        expect(rings.interfaceId(ring, match)).toBe(reference.interfaceId(match));
        continue;
      }
      const tUs = 1_700_000_000_000_000 + step * 1_000.5;
      const ipIdentification = random() < 0.2 ? -1 : Math.floor(random() * 65_536);
      const interfaceId = Math.floor(random() * 3);
      rings.add(ring, fingerprint, length, tUs, ipIdentification, interfaceId);
      reference.add(fingerprint, length, tUs, ipIdentification, interfaceId);
    }
    expect(found).toBeGreaterThan(1_000);
    for (let index = 0; index < 40; index++) expect(rings.saveColumns(handles[index]!)).toEqual(references[index]!.saveColumns());
  });

  it("saves an empty ring as core does, and loads saved columns into a ring that continues like core's", () => {
    const rings = new RecentPayloadRings();
    const empty = rings.allocate();
    expect(rings.saveColumns(empty)).toEqual(new RecentDatagrams(RING_ENTRIES).saveColumns());
    const reference = new RecentDatagrams(RING_ENTRIES);
    for (let index = 0; index < 45; index++) reference.add(0xdead0000 + index, 60 + (index % 5), 1_000 * index, index, index % 2);
    const loaded = rings.loadColumns(reference.saveColumns());
    expect(rings.saveColumns(loaded)).toEqual(reference.saveColumns());
    expect(rings.find(loaded, 0xdead0000 + 44, 60 + (44 % 5))).toBe(reference.find(0xdead0000 + 44, 60 + (44 % 5)));
    expect(rings.find(loaded, 0xdead0000 + 5, 60)).toBe(-1);
    rings.add(loaded, 7, 8, 9, 10, 11);
    reference.add(7, 8, 9, 10, 11);
    expect(rings.saveColumns(loaded)).toEqual(reference.saveColumns());
    expect(rings.saveColumns(empty)).toEqual(new RecentDatagrams(RING_ENTRIES).saveColumns());
  });

  it("refuses saved columns of another size or with a next slot out of range, as core does", () => {
    const rings = new RecentPayloadRings();
    const columns = new RecentDatagrams(RING_ENTRIES).saveColumns();
    expect(() => rings.loadColumns({ ...columns, lengths: columns.lengths.slice(1) })).toThrow(RangeError);
    expect(() => rings.loadColumns({ ...columns, next: RING_ENTRIES })).toThrow(/next slot/);
    expect(() => rings.loadColumns({ ...columns, next: 1.5 })).toThrow(/next slot/);
    expect(() => RecentDatagrams.fromColumns({ ...columns, next: RING_ENTRIES })).toThrow(/next slot/);
  });
});
