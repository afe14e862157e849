import { literalAddress, refusal as addressRefusal } from '../proxy/address-guard.js';
import type { CompiledIntegration } from './compile.js';
import { underPrefix, unsafePath } from '../util/host-pattern.js';
import { refusal } from './refuse.js';
import { portOf } from './target.js';

type Refused = ReturnType<typeof refusal>;

/**
 * Every check a destination must pass before anything is sent: host and port (when the
 * integration was chosen by host, they matched already), a literal address against the
 * address guard, method, path (raw and resolved) and the third party's documented operations.
 * Used for the first request and for every redirect hop.
 *
 * @example
 * const refused = checkDestination(integ, 'GET', url, rawPath);
 * if (refused !== undefined) return refuse(refused);
 */
export function checkDestination(integ: CompiledIntegration, method: string, url: URL, rawPath: string): Refused | undefined {
  if (!integ.hosts.matches(url.hostname) || !integ.ports.has(portOf(url))) {
    return refusal('PCL_EGRESS_HOST_NOT_ALLOWED', 'host_not_allowed', 'This destination is not allowed for the integration.');
  }
  const lit = literalAddress(url.hostname);
  if (lit !== undefined && addressRefusal(integ.policy, lit) !== undefined) {
    return refusal('PCL_EGRESS_ADDRESS_REFUSED', 'address_refused', 'The destination address is not allowed.');
  }
  if (!integ.methods.has(method)) {
    return refusal('PCL_EGRESS_METHOD_NOT_ALLOWED', 'method_not_allowed', `The integration does not allow ${method}.`);
  }
  if (unsafePath(rawPath)) return refusal('PCL_EGRESS_PATH_NOT_ALLOWED', 'path_traversal', 'The path is not allowed.');
  if (!underPrefix(url.pathname, integ.paths)) return refusal('PCL_EGRESS_PATH_NOT_ALLOWED', 'path_not_allowed', 'The path is not allowed for the integration.');
  if (integ.contract !== undefined && integ.contract.operation(method, url.pathname) === undefined) {
    return refusal('PCL_EGRESS_PATH_NOT_ALLOWED', 'undocumented_operation', 'The third party\'s API document has no such operation.');
  }
  return undefined;
}
