/** A point on Earth in decimal degrees (WGS-84 latitude/longitude). */
export interface GeoPoint {
  /** Latitude, degrees, −90..90. */
  latitude: number;
  /** Longitude, degrees, −180..180. */
  longitude: number;
}

/** Mean Earth radius used for great-circle distances, km. */
export const EARTH_RADIUS_KM = 6371.0088;

/**
 * Speed of light in optical fibre, km per ms (refractive index ≈ 1.47–1.5 ⇒
 * ~200 km/ms). The physical lower bound on RTT over a distance d is
 * `2 × d / 200` ms.
 */
export const FIBRE_KM_PER_MS = 200;

/** True when the point has finite, in-range coordinates. */
export function isValidGeoPoint(point: GeoPoint): boolean {
  return (
    Number.isFinite(point.latitude) &&
    Number.isFinite(point.longitude) &&
    Math.abs(point.latitude) <= 90 &&
    Math.abs(point.longitude) <= 180
  );
}

/** Great-circle (haversine) distance between two points, km. */
export function greatCircleDistanceKm(from: GeoPoint, to: GeoPoint): number {
  const radians = Math.PI / 180;
  const deltaLatitude = (to.latitude - from.latitude) * radians;
  const deltaLongitude = (to.longitude - from.longitude) * radians;
  const haversine =
    Math.sin(deltaLatitude / 2) ** 2 +
    Math.cos(from.latitude * radians) * Math.cos(to.latitude * radians) * Math.sin(deltaLongitude / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(haversine)));
}

/** Speed-of-light RTT bound over a great-circle distance: `2 × distanceKm / 200` ms. */
export function speedOfLightRttMs(distanceKm: number, kmPerMs: number = FIBRE_KM_PER_MS): number {
  return (2 * distanceKm) / kmPerMs;
}

/** Speed-of-light RTT bound between two points, ms. */
export function speedOfLightRttBetweenMs(from: GeoPoint, to: GeoPoint, kmPerMs: number = FIBRE_KM_PER_MS): number {
  return speedOfLightRttMs(greatCircleDistanceKm(from, to), kmPerMs);
}

/**
 * Route stretch = measured RTT / speed-of-light bound. 1 is physically perfect;
 * real paths are 1.5–3. Undefined (NaN) when the bound is not positive.
 */
export function routeStretch(measuredRttMs: number, boundRttMs: number): number {
  return boundRttMs > 0 ? measuredRttMs / boundRttMs : Number.NaN;
}
