/**
 * `@switchyard/geoip`: MaxMind GeoLite2/GeoIP2 GeoSource for switchyard (Node).
 *
 * @packageDocumentation
 */
export type { MaxMindDatabase, MaxMindGeoSource, MaxMindGeoSourceOptions } from './maxmind-source.js';
export { createMaxMindGeoSource, geoInfoFromRecord } from './maxmind-source.js';
