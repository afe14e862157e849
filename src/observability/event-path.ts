import { createQueryRedactor } from './logging/redact.js';

const MAX_PATH = 2048;
const redactQuery = createQueryRedactor();

/**
 * The path as security events carry it: sensitive query values redacted (the access log's fixed
 * rules), at most 2 KiB.
 *
 * @example
 * eventPath('/login?password=hunter2&next=/'); // '/login?password=[REDACTED]&next=/'
 */
export function eventPath(pathWithQuery: string): string {
  const p = redactQuery(pathWithQuery);
  return p.length > MAX_PATH ? `${p.slice(0, MAX_PATH)}…` : p;
}
