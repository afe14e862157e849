/**
 * Description: operators that ask an outside source: @geoLookup (a GeoIP database,
 * fills GEO) and @rbl (a DNS block list). This engine does neither: no GeoIP database
 * ships (`SecGeoLookupDb` is an unsupported directive) and no DNS query may sit on the
 * request path. Both therefore fail the way ModSecurity's do without a database or
 * resolver: the rule does not match. CRS 3.3 uses them only in 910xxx, behind
 * `tx.high_risk_country_codes` / `tx.block_search_ip` with an API key, both off by default.
 * Arguments: none / the block-list zone.
 * Returns: false.
 * Example: `SecRule REMOTE_ADDR "@geoLookup" "id:7,chain,pass"`
 */
import type { Operator } from '../types.js';

/** @example geoLookup().evaluate('203.0.113.9', tx, undefined) // false */
export const geoLookup = (): Operator => ({ evaluate: () => false });

/** @example rbl().evaluate('203.0.113.9', tx, undefined) // false */
export const rbl = (): Operator => ({ evaluate: () => false });
