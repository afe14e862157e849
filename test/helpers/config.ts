import { readFileSync } from 'node:fs';
import { fixture } from './paths.js';
import { writeConfig } from './gateway.js';

/**
 * Overload shedding off: it reads the host's load as the gateway's own (a test machine running
 * many gateways at once crosses 500 ms of event-loop delay), and a shed request (503
 * PCL_OVERLOADED) would fail a test about something else. test/e2e/overload.test.ts turns it on.
 */
const NO_SHEDDING = '  overload:\n    enabled: false\n';

/**
 * The config head every e2e gateway shares: loopback, ports 0 (the listening log line gives the
 * bound ports), info logs (tests read them), no file watching, no overload shedding. Follow it with `apis:`.
 */
export const E2E_PREAMBLE = `server:\n  port: 0\n  host: 127.0.0.1\n${NO_SHEDDING}admin:\n  port: 0\nlogging:\n  level: info\n  eventFloods:\n    aggregate: false\nwatch: false\n`;

/**
 * The config head of an e2e gateway serving HTTPS only (no plain listener), optionally with
 * mutual TLS: like E2E_PREAMBLE, follow it with `apis:`. `admin` is YAML indented for the
 * admin block (e.g. a token).
 *
 * @example
 * writeConfig(`${tlsConfig({ cert, key, clientCa })}apis:\n  - name: books\n ...`);
 */
export function tlsConfig(opts: { cert: string; key: string; clientCa?: string; crl?: readonly string[]; clientCertificate?: 'request' | 'require'; admin?: string }): string {
  const line = (key: string, value: string | undefined) => value === undefined ? '' : `    ${key}: ${value}\n`;
  return `server:\n  http: false\n  host: 127.0.0.1\n  tls:\n    host: 127.0.0.1\n    port: 0\n${line('cert', opts.cert)}${line('key', opts.key)}`
    + `${line('clientCa', opts.clientCa)}${line('crl', opts.crl === undefined ? undefined : `[${opts.crl.join(', ')}]`)}${line('clientCertificate', opts.clientCertificate)}`
    + `${NO_SHEDDING}admin:\n  port: 0\n${opts.admin ?? ''}logging:\n  level: info\n  eventFloods:\n    aggregate: false\nwatch: false\n`;
}

/**
 * A gateway config for e2e tests: ports 0, admin on 0, no file watching unless asked,
 * the books OpenAPI document copied beside it. `apiExtra` is YAML indented for the API entry.
 * `eventFloods` replaces the logging.eventFloods block (default: every event logged; '' for the product's default).
 */
export function booksConfig(upstream: string, opts: { apiExtra?: string; top?: string; server?: string; admin?: string; eventFloods?: string } = {}): { dir: string; file: string } {
  const yaml = `server:
  port: 0
  host: 127.0.0.1
${opts.server ?? ''}
${opts.server?.includes('overload:') === true ? '' : NO_SHEDDING}admin:
  port: 0
${opts.admin ?? ''}
logging:
  level: info
${opts.eventFloods ?? '  eventFloods:\n    aggregate: false\n'}watch: false
${opts.top ?? ''}
apis:
  - name: books
    upstream: ${upstream}
    openapi: ./books.yaml
${opts.apiExtra ?? ''}
`;
  return writeConfig(yaml, { 'books.yaml': readFileSync(fixture('e2e', 'books.yaml'), 'utf8') });
}
