import { describe, expect, it } from "vitest";
import { CLOUD_REGIONS, CLOUD_REGIONS_SOURCE, findCloudRegion } from "./cloud-regions.js";
import { resolveNamedPlace } from "./gazetteer.js";
import { greatCircleDistanceKm, isValidGeoPoint, routeStretch, speedOfLightRttBetweenMs, speedOfLightRttMs } from "./geo.js";
import { createSeededRandom, hashString } from "./random.js";

const london = { latitude: 51.5074, longitude: -0.1278 };
const newYork = { latitude: 40.7128, longitude: -74.006 };

describe("great-circle distance and the speed-of-light bound", () => {
  it("London–New York is ~5,570 km, so the fibre RTT bound is ~55.7 ms", () => {
    const distance = greatCircleDistanceKm(london, newYork);
    expect(distance).toBeGreaterThan(5540);
    expect(distance).toBeLessThan(5600);
    expect(speedOfLightRttBetweenMs(london, newYork)).toBeCloseTo(distance / 100, 10);
    expect(speedOfLightRttMs(1000)).toBe(10);
  });

  it("is symmetric, zero on the same point, and half the circumference at antipodes", () => {
    expect(greatCircleDistanceKm(london, london)).toBe(0);
    expect(greatCircleDistanceKm(newYork, london)).toBeCloseTo(greatCircleDistanceKm(london, newYork), 9);
    expect(greatCircleDistanceKm({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 180 })).toBeCloseTo(Math.PI * 6371.0088, 3);
  });

  it("route stretch = measured / bound", () => {
    expect(routeStretch(80, 40)).toBe(2);
    expect(routeStretch(80, 0)).toBeNaN();
    expect(isValidGeoPoint({ latitude: 91, longitude: 0 })).toBe(false);
    expect(isValidGeoPoint({ latitude: Number.NaN, longitude: 0 })).toBe(false);
  });
});

describe("cloud region catalogue", () => {
  it("has unique ids, valid coordinates, the three providers and a source", () => {
    expect(new Set(CLOUD_REGIONS.map((region) => region.id)).size).toBe(CLOUD_REGIONS.length);
    expect(CLOUD_REGIONS.length).toBeGreaterThan(80);
    for (const region of CLOUD_REGIONS) expect(isValidGeoPoint(region)).toBe(true);
    expect(new Set(CLOUD_REGIONS.map((region) => region.provider))).toEqual(new Set(["aws", "gcp", "azure"]));
    expect(CLOUD_REGIONS_SOURCE).toMatch(/AWS/);
    const ids = CLOUD_REGIONS.map((region) => region.id);
    expect([...ids].sort()).toEqual(ids);
  });

  it("finds regions by id or unique code; ambiguous or unknown codes give undefined", () => {
    expect(findCloudRegion("aws:eu-central-1")?.city).toBe("Frankfurt");
    expect(findCloudRegion("westeurope")?.provider).toBe("azure");
    expect(findCloudRegion("nowhere-1")).toBeUndefined();
    // Frankfurt and London are ~640 km apart: sanity of coordinates
    const distance = greatCircleDistanceKm(findCloudRegion("aws:eu-central-1")!, findCloudRegion("aws:eu-west-2")!);
    expect(distance).toBeGreaterThan(600);
    expect(distance).toBeLessThan(680);
  });
});

describe("gazetteer", () => {
  it("resolves cities, countries and refuses unknown places", () => {
    expect(resolveNamedPlace({ city: "Sydney" })).toEqual({ latitude: -33.87, longitude: 151.21 });
    expect(resolveNamedPlace({ city: "osaka", country: "jp" })).toEqual({ latitude: 34.69, longitude: 135.5 });
    expect(resolveNamedPlace({ country: "BR" })).toEqual({ latitude: -23.55, longitude: -46.63 });
    expect(resolveNamedPlace({ city: "Atlantis" })).toBeUndefined();
    expect(resolveNamedPlace({ country: "ZZ" })).toBeUndefined();
    expect(resolveNamedPlace({})).toBeUndefined();
  });
});

describe("seeded random", () => {
  it("is deterministic per seed and roughly uniform / normal", () => {
    const first = createSeededRandom(42);
    const second = createSeededRandom(42);
    const values = Array.from({ length: 5 }, () => first.next());
    expect(Array.from({ length: 5 }, () => second.next())).toEqual(values);
    expect(createSeededRandom("x").next()).toBe(createSeededRandom(hashString("x")).next());
    const random = createSeededRandom(1);
    let sum = 0;
    let squares = 0;
    const count = 20000;
    for (let index = 0; index < count; index++) {
      const value = random.normal();
      sum += value;
      squares += value * value;
    }
    expect(Math.abs(sum / count)).toBeLessThan(0.03);
    expect(Math.abs(squares / count - 1)).toBeLessThan(0.04);
    const buckets = new Array<number>(10).fill(0);
    for (let index = 0; index < count; index++) buckets[random.nextInt(10)]!++;
    for (const bucket of buckets) expect(Math.abs(bucket - count / 10)).toBeLessThan(150);
    const filled = new Uint32Array(count);
    createSeededRandom(8).fillInts(filled, 10);
    const filledBuckets = new Array<number>(10).fill(0);
    for (const value of filled) filledBuckets[value]!++;
    for (const bucket of filledBuckets) expect(Math.abs(bucket - count / 10)).toBeLessThan(150);
    const again = new Uint32Array(count);
    createSeededRandom(8).fillInts(again, 10);
    expect(again).toEqual(filled);
  });
});
