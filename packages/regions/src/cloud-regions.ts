import type { GeoPoint } from "./geo.js";

/** Cloud provider of a catalogue region. */
export type CloudProvider = "aws" | "gcp" | "azure";

/** One real cloud region with the approximate coordinates of its metro area. */
export interface CloudRegion extends GeoPoint {
  /** Catalogue id: `provider:code`, e.g. `aws:eu-central-1`. */
  id: string;
  provider: CloudProvider;
  /** The provider's own region code, e.g. `eu-central-1`, `europe-west3`, `westeurope`. */
  code: string;
  /** Metro area the provider names for the region. */
  city: string;
  /** ISO 3166-1 alpha-2 country code. */
  country: string;
  /** Continent-scale area: `na`, `sa`, `eu`, `me`, `af`, `as`, `oc`. */
  area: "na" | "sa" | "eu" | "me" | "af" | "as" | "oc";
}

/**
 * Where the catalogue comes from. Written from public knowledge of the
 * providers' published region lists (AWS "Regions and Availability Zones",
 * Google Cloud "Cloud locations", Azure "Azure geographies"), as of 2024, with
 * coordinates of the named metro area (city centre, ±50 km; data centres are
 * often outside the city). No network access was used; verify before relying
 * on a single entry.
 */
export const CLOUD_REGIONS_SOURCE =
  "AWS Regions and Availability Zones, Google Cloud locations, Azure geographies (public lists, 2024); coordinates = named metro area, approx. ±50 km";

type Row = readonly [CloudProvider, string, string, string, CloudRegion["area"], number, number];

// provider, code, city, country, area, latitude, longitude
const ROWS: readonly Row[] = [
  ["aws", "us-east-1", "Ashburn, Virginia", "US", "na", 39.04, -77.49],
  ["aws", "us-east-2", "Columbus, Ohio", "US", "na", 39.96, -83.0],
  ["aws", "us-west-1", "San Jose, California", "US", "na", 37.34, -121.89],
  ["aws", "us-west-2", "Boardman, Oregon", "US", "na", 45.84, -119.7],
  ["aws", "ca-central-1", "Montreal", "CA", "na", 45.5, -73.57],
  ["aws", "ca-west-1", "Calgary", "CA", "na", 51.05, -114.07],
  ["aws", "mx-central-1", "Querétaro", "MX", "na", 20.59, -100.39],
  ["aws", "sa-east-1", "São Paulo", "BR", "sa", -23.55, -46.63],
  ["aws", "eu-west-1", "Dublin", "IE", "eu", 53.35, -6.26],
  ["aws", "eu-west-2", "London", "GB", "eu", 51.51, -0.13],
  ["aws", "eu-west-3", "Paris", "FR", "eu", 48.86, 2.35],
  ["aws", "eu-central-1", "Frankfurt", "DE", "eu", 50.11, 8.68],
  ["aws", "eu-central-2", "Zurich", "CH", "eu", 47.37, 8.54],
  ["aws", "eu-north-1", "Stockholm", "SE", "eu", 59.33, 18.07],
  ["aws", "eu-south-1", "Milan", "IT", "eu", 45.46, 9.19],
  ["aws", "eu-south-2", "Zaragoza, Aragón", "ES", "eu", 41.65, -0.88],
  ["aws", "il-central-1", "Tel Aviv", "IL", "me", 32.09, 34.78],
  ["aws", "me-south-1", "Manama", "BH", "me", 26.07, 50.56],
  ["aws", "me-central-1", "Dubai", "AE", "me", 25.2, 55.27],
  ["aws", "af-south-1", "Cape Town", "ZA", "af", -33.92, 18.42],
  ["aws", "ap-east-1", "Hong Kong", "HK", "as", 22.32, 114.17],
  ["aws", "ap-south-1", "Mumbai", "IN", "as", 19.08, 72.88],
  ["aws", "ap-south-2", "Hyderabad", "IN", "as", 17.39, 78.49],
  ["aws", "ap-northeast-1", "Tokyo", "JP", "as", 35.68, 139.69],
  ["aws", "ap-northeast-2", "Seoul", "KR", "as", 37.57, 126.98],
  ["aws", "ap-northeast-3", "Osaka", "JP", "as", 34.69, 135.5],
  ["aws", "ap-southeast-1", "Singapore", "SG", "as", 1.35, 103.82],
  ["aws", "ap-southeast-3", "Jakarta", "ID", "as", -6.21, 106.85],
  ["aws", "ap-southeast-5", "Kuala Lumpur", "MY", "as", 3.14, 101.69],
  ["aws", "ap-southeast-2", "Sydney", "AU", "oc", -33.87, 151.21],
  ["aws", "ap-southeast-4", "Melbourne", "AU", "oc", -37.81, 144.96],
  ["gcp", "us-east1", "Moncks Corner, South Carolina", "US", "na", 33.2, -80.01],
  ["gcp", "us-east4", "Ashburn, Virginia", "US", "na", 39.04, -77.49],
  ["gcp", "us-east5", "Columbus, Ohio", "US", "na", 39.96, -83.0],
  ["gcp", "us-central1", "Council Bluffs, Iowa", "US", "na", 41.26, -95.86],
  ["gcp", "us-south1", "Dallas, Texas", "US", "na", 32.78, -96.8],
  ["gcp", "us-west1", "The Dalles, Oregon", "US", "na", 45.59, -121.18],
  ["gcp", "us-west2", "Los Angeles", "US", "na", 34.05, -118.24],
  ["gcp", "us-west3", "Salt Lake City", "US", "na", 40.76, -111.89],
  ["gcp", "us-west4", "Las Vegas", "US", "na", 36.17, -115.14],
  ["gcp", "northamerica-northeast1", "Montreal", "CA", "na", 45.5, -73.57],
  ["gcp", "northamerica-northeast2", "Toronto", "CA", "na", 43.65, -79.38],
  ["gcp", "southamerica-east1", "São Paulo (Osasco)", "BR", "sa", -23.53, -46.79],
  ["gcp", "southamerica-west1", "Santiago", "CL", "sa", -33.45, -70.67],
  ["gcp", "europe-west1", "St. Ghislain", "BE", "eu", 50.47, 3.82],
  ["gcp", "europe-west2", "London", "GB", "eu", 51.51, -0.13],
  ["gcp", "europe-west3", "Frankfurt", "DE", "eu", 50.11, 8.68],
  ["gcp", "europe-west4", "Eemshaven", "NL", "eu", 53.44, 6.83],
  ["gcp", "europe-west6", "Zurich", "CH", "eu", 47.37, 8.54],
  ["gcp", "europe-west8", "Milan", "IT", "eu", 45.46, 9.19],
  ["gcp", "europe-west9", "Paris", "FR", "eu", 48.86, 2.35],
  ["gcp", "europe-north1", "Hamina", "FI", "eu", 60.57, 27.2],
  ["gcp", "europe-central2", "Warsaw", "PL", "eu", 52.23, 21.01],
  ["gcp", "europe-southwest1", "Madrid", "ES", "eu", 40.42, -3.7],
  ["gcp", "me-west1", "Tel Aviv", "IL", "me", 32.09, 34.78],
  ["gcp", "africa-south1", "Johannesburg", "ZA", "af", -26.2, 28.05],
  ["gcp", "asia-east1", "Changhua County", "TW", "as", 24.08, 120.54],
  ["gcp", "asia-east2", "Hong Kong", "HK", "as", 22.32, 114.17],
  ["gcp", "asia-northeast1", "Tokyo", "JP", "as", 35.68, 139.69],
  ["gcp", "asia-northeast2", "Osaka", "JP", "as", 34.69, 135.5],
  ["gcp", "asia-northeast3", "Seoul", "KR", "as", 37.57, 126.98],
  ["gcp", "asia-south1", "Mumbai", "IN", "as", 19.08, 72.88],
  ["gcp", "asia-south2", "Delhi", "IN", "as", 28.61, 77.21],
  ["gcp", "asia-southeast1", "Jurong West", "SG", "as", 1.34, 103.71],
  ["gcp", "asia-southeast2", "Jakarta", "ID", "as", -6.21, 106.85],
  ["gcp", "australia-southeast1", "Sydney", "AU", "oc", -33.87, 151.21],
  ["gcp", "australia-southeast2", "Melbourne", "AU", "oc", -37.81, 144.96],
  ["azure", "eastus", "Virginia", "US", "na", 37.37, -79.82],
  ["azure", "eastus2", "Virginia", "US", "na", 36.67, -78.39],
  ["azure", "centralus", "Iowa", "US", "na", 41.59, -93.62],
  ["azure", "northcentralus", "Illinois", "US", "na", 41.88, -87.63],
  ["azure", "southcentralus", "Texas", "US", "na", 29.42, -98.49],
  ["azure", "westus", "California", "US", "na", 37.78, -122.42],
  ["azure", "westus2", "Washington", "US", "na", 47.23, -119.85],
  ["azure", "westus3", "Phoenix", "US", "na", 33.45, -112.07],
  ["azure", "canadacentral", "Toronto", "CA", "na", 43.65, -79.38],
  ["azure", "brazilsouth", "São Paulo State", "BR", "sa", -23.55, -46.63],
  ["azure", "northeurope", "Dublin", "IE", "eu", 53.35, -6.26],
  ["azure", "westeurope", "Amsterdam", "NL", "eu", 52.37, 4.9],
  ["azure", "uksouth", "London", "GB", "eu", 51.51, -0.13],
  ["azure", "francecentral", "Paris", "FR", "eu", 48.86, 2.35],
  ["azure", "germanywestcentral", "Frankfurt", "DE", "eu", 50.11, 8.68],
  ["azure", "swedencentral", "Gävle", "SE", "eu", 60.67, 17.14],
  ["azure", "polandcentral", "Warsaw", "PL", "eu", 52.23, 21.01],
  ["azure", "italynorth", "Milan", "IT", "eu", 45.46, 9.19],
  ["azure", "uaenorth", "Dubai", "AE", "me", 25.2, 55.27],
  ["azure", "southafricanorth", "Johannesburg", "ZA", "af", -26.2, 28.05],
  ["azure", "centralindia", "Pune", "IN", "as", 18.52, 73.86],
  ["azure", "eastasia", "Hong Kong", "HK", "as", 22.32, 114.17],
  ["azure", "southeastasia", "Singapore", "SG", "as", 1.35, 103.82],
  ["azure", "japaneast", "Tokyo", "JP", "as", 35.68, 139.69],
  ["azure", "koreacentral", "Seoul", "KR", "as", 37.57, 126.98],
  ["azure", "australiaeast", "Sydney", "AU", "oc", -33.87, 151.21],
];

/** The catalogue of real cloud regions (AWS, GCP, Azure), sorted by id. */
export const CLOUD_REGIONS: readonly CloudRegion[] = ROWS.map(
  ([provider, code, city, country, area, latitude, longitude]) => ({
    id: `${provider}:${code}`,
    provider,
    code,
    city,
    country,
    area,
    latitude,
    longitude,
  }),
).sort((left, right) => (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));

const byId = new Map(CLOUD_REGIONS.map((region) => [region.id, region]));

/**
 * Finds a catalogue region by id (`aws:eu-central-1`) or by a provider code
 * alone (`eu-central-1`, `westeurope`) when that code is unique.
 */
export function findCloudRegion(idOrCode: string): CloudRegion | undefined {
  const direct = byId.get(idOrCode);
  if (direct !== undefined) return direct;
  const matches = CLOUD_REGIONS.filter((region) => region.code === idOrCode);
  return matches.length === 1 ? matches[0] : undefined;
}
