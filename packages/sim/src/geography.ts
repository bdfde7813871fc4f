/** Mean Earth radius, km. */
export const EARTH_RADIUS_KM = 6371.0088;

/** A point on Earth in degrees. */
export interface GeoPoint {
  /** Latitude, degrees (−90…90). */
  latitude: number;
  /** Longitude, degrees (−180…180). */
  longitude: number;
}

const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;
const toDegrees = (radians: number): number => (radians * 180) / Math.PI;

/** Great-circle (haversine) distance between two points, km. */
export function greatCircleDistanceKm(from: GeoPoint, to: GeoPoint): number {
  const latitudeDelta = toRadians(to.latitude - from.latitude);
  const longitudeDelta = toRadians(to.longitude - from.longitude);
  const a =
    Math.sin(latitudeDelta / 2) ** 2 +
    Math.cos(toRadians(from.latitude)) * Math.cos(toRadians(to.latitude)) * Math.sin(longitudeDelta / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** The point reached from `origin` going `distanceKm` along the great circle with initial `bearingDegrees`. */
export function destinationPoint(origin: GeoPoint, distanceKm: number, bearingDegrees: number): GeoPoint {
  const angular = distanceKm / EARTH_RADIUS_KM;
  const bearing = toRadians(bearingDegrees);
  const latitude1 = toRadians(origin.latitude);
  const longitude1 = toRadians(origin.longitude);
  const latitude2 = Math.asin(Math.sin(latitude1) * Math.cos(angular) + Math.cos(latitude1) * Math.sin(angular) * Math.cos(bearing));
  const longitude2 =
    longitude1 + Math.atan2(Math.sin(bearing) * Math.sin(angular) * Math.cos(latitude1), Math.cos(angular) - Math.sin(latitude1) * Math.sin(latitude2));
  const longitude = ((toDegrees(longitude2) + 540) % 360) - 180;
  return { latitude: toDegrees(latitude2), longitude };
}
