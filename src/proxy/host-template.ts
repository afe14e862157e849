import type { IncomingHttpHeaders } from 'node:http';
import { compileHosts } from '../util/host-pattern.js';

/** The `upstreamHost` block of an API (validated by the config schema). */
export interface HostTemplateConfig {
  readonly template: string;
  readonly from: 'header' | 'path';
  readonly name: string;
  readonly pattern: string;
  readonly hosts: readonly string[];
}

/** Where the request's upstream is, or why there is none. */
export type HostChoice =
  | { readonly ok: true; readonly origin: string; readonly host: string }
  | { readonly ok: false; readonly reason: 'missing' | 'invalid' | 'not_allowed' };

/** Longest value taken from the request: one DNS label. The pattern never sees more. */
const MAX_VALUE = 63;

/**
 * An upstream host built from request data (a tenant header, a path parameter), compiled at load.
 * The value must match `pattern` whole (default: one lower-case DNS label, so no dots, no `@`, no
 * port, no address spelling); the host the template makes must be covered by `hosts`; the address
 * the name resolves to is then checked by the API's address guard when the connection opens.
 *
 * @example
 * const t = compileHostTemplate({ template: '{value}.tenants.internal', from: 'header', name: 'x-tenant', pattern: '^[a-z0-9-]+$', hosts: ['*.tenants.internal'] }, new URL('https://x:8443'));
 * t.choose({}, { 'x-tenant': 'acme' }); // { ok: true, origin: 'https://acme.tenants.internal:8443', host: 'acme.tenants.internal:8443' }
 */
export function compileHostTemplate(cfg: HostTemplateConfig, upstream: URL): { choose(params: Readonly<Record<string, string>>, headers: IncomingHttpHeaders): HostChoice } {
  // Always anchored: `^[a-z]+` alone would accept `acme.evil.example`; "whole" must not depend on the operator writing `$`.
  const pattern = new RegExp(`^(?:${cfg.pattern})$`);
  const hosts = compileHosts(cfg.hosts);
  const port = upstream.port === '' ? '' : `:${upstream.port}`;
  const header = cfg.name.toLowerCase();
  return {
    choose: (params, headers) => {
      const raw = cfg.from === 'path' ? params[cfg.name] : headers[header];
      if (raw === undefined || raw === '') return { ok: false, reason: 'missing' };
      if (typeof raw !== 'string' || raw.length > MAX_VALUE || !pattern.test(raw)) return { ok: false, reason: 'invalid' };
      let url: URL;
      try { url = new URL(`${upstream.protocol}//${cfg.template.replace('{value}', raw)}${port}/`); } catch { return { ok: false, reason: 'invalid' }; }
      if (!hosts.matches(url.hostname)) return { ok: false, reason: 'not_allowed' };
      return { ok: true, origin: url.origin, host: url.host };
    },
  };
}
