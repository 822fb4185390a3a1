/**
 * `@switchyard/geoip`: MaxMind GeoLite2/GeoIP2 GeoSource for switchyard (Node).
 *
 * @packageDocumentation
 */
export {};
