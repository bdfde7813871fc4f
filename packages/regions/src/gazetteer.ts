import type { GeoPoint } from "./geo.js";

/** A player location given by name (from server logs) rather than coordinates. */
export interface NamedPlace {
  /** ISO 3166-1 alpha-2 country code (case-insensitive). */
  country?: string;
  /** City name in English (case-insensitive, accents as written here). */
  city?: string;
}

type CityRow = readonly [string, string, number, number];

// city, country, latitude, longitude — large metros where game players concentrate.
const CITIES: readonly CityRow[] = [
  ["New York", "US", 40.71, -74.01], ["Los Angeles", "US", 34.05, -118.24], ["Chicago", "US", 41.88, -87.63],
  ["Dallas", "US", 32.78, -96.8], ["Houston", "US", 29.76, -95.37], ["Atlanta", "US", 33.75, -84.39],
  ["Miami", "US", 25.76, -80.19], ["Seattle", "US", 47.61, -122.33], ["San Francisco", "US", 37.77, -122.42],
  ["Denver", "US", 39.74, -104.99], ["Phoenix", "US", 33.45, -112.07], ["Washington", "US", 38.91, -77.04],
  ["Boston", "US", 42.36, -71.06], ["Toronto", "CA", 43.65, -79.38], ["Montreal", "CA", 45.5, -73.57],
  ["Vancouver", "CA", 49.28, -123.12], ["Mexico City", "MX", 19.43, -99.13], ["São Paulo", "BR", -23.55, -46.63],
  ["Rio de Janeiro", "BR", -22.91, -43.17], ["Buenos Aires", "AR", -34.6, -58.38], ["Santiago", "CL", -33.45, -70.67],
  ["Lima", "PE", -12.05, -77.04], ["Bogotá", "CO", 4.71, -74.07], ["London", "GB", 51.51, -0.13],
  ["Paris", "FR", 48.86, 2.35], ["Berlin", "DE", 52.52, 13.4], ["Frankfurt", "DE", 50.11, 8.68],
  ["Madrid", "ES", 40.42, -3.7], ["Rome", "IT", 41.9, 12.5], ["Milan", "IT", 45.46, 9.19],
  ["Amsterdam", "NL", 52.37, 4.9], ["Stockholm", "SE", 59.33, 18.07], ["Warsaw", "PL", 52.23, 21.01],
  ["Moscow", "RU", 55.76, 37.62], ["Istanbul", "TR", 41.01, 28.98], ["Dubai", "AE", 25.2, 55.27],
  ["Johannesburg", "ZA", -26.2, 28.05], ["Cairo", "EG", 30.04, 31.24], ["Lagos", "NG", 6.52, 3.38],
  ["Mumbai", "IN", 19.08, 72.88], ["Delhi", "IN", 28.61, 77.21], ["Singapore", "SG", 1.35, 103.82],
  ["Jakarta", "ID", -6.21, 106.85], ["Manila", "PH", 14.6, 120.98], ["Bangkok", "TH", 13.76, 100.5],
  ["Hong Kong", "HK", 22.32, 114.17], ["Shanghai", "CN", 31.23, 121.47], ["Taipei", "TW", 25.03, 121.57],
  ["Seoul", "KR", 37.57, 126.98], ["Tokyo", "JP", 35.68, 139.69], ["Osaka", "JP", 34.69, 135.5],
  ["Sydney", "AU", -33.87, 151.21], ["Melbourne", "AU", -37.81, 144.96], ["Perth", "AU", -31.95, 115.86],
  ["Brisbane", "AU", -27.47, 153.03], ["Auckland", "NZ", -36.85, 174.76],
];

// Country fallback: the country's largest player metro from the table above.
const COUNTRY_DEFAULT_CITY: Readonly<Record<string, string>> = {
  US: "Chicago", CA: "Toronto", MX: "Mexico City", BR: "São Paulo", AR: "Buenos Aires", CL: "Santiago",
  PE: "Lima", CO: "Bogotá", GB: "London", FR: "Paris", DE: "Frankfurt", ES: "Madrid", IT: "Milan",
  NL: "Amsterdam", SE: "Stockholm", PL: "Warsaw", RU: "Moscow", TR: "Istanbul", AE: "Dubai",
  ZA: "Johannesburg", EG: "Cairo", NG: "Lagos", IN: "Mumbai", SG: "Singapore", ID: "Jakarta",
  PH: "Manila", TH: "Bangkok", HK: "Hong Kong", CN: "Shanghai", TW: "Taipei", KR: "Seoul",
  JP: "Tokyo", AU: "Sydney", NZ: "Auckland",
};

const cityIndex = new Map<string, CityRow>();
for (const row of CITIES) {
  cityIndex.set(`${row[0].toLowerCase()}|${row[1]}`, row);
  if (!cityIndex.has(row[0].toLowerCase())) cityIndex.set(row[0].toLowerCase(), row);
}

/**
 * Resolves a named place to coordinates with a small built-in gazetteer
 * (about 55 large metros and a default metro for 34 countries). Returns
 * `undefined` when the place is unknown: callers count it as unlocated rather
 * than guess.
 */
export function resolveNamedPlace(place: NamedPlace): GeoPoint | undefined {
  const country = place.country?.trim().toUpperCase();
  const city = place.city?.trim().toLowerCase();
  let row: CityRow | undefined;
  if (city !== undefined && city !== "") {
    row = country !== undefined ? cityIndex.get(`${city}|${country}`) : cityIndex.get(city);
  }
  if (row === undefined && country !== undefined) {
    const fallback = COUNTRY_DEFAULT_CITY[country];
    if (fallback !== undefined) row = cityIndex.get(`${fallback.toLowerCase()}|${country}`);
  }
  return row === undefined ? undefined : { latitude: row[2], longitude: row[3] };
}
