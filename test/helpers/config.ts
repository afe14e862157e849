import { readFileSync } from 'node:fs';
import { fixture } from './paths.js';
import { writeConfig } from './gateway.js';

/**
 * The config head every e2e gateway shares: loopback, ports 0 (the listening log line gives the
 * bound ports), info logs (tests read them), no file watching. Follow it with `apis:`.
 */
export const E2E_PREAMBLE = `server:\n  port: 0\n  host: 127.0.0.1\nadmin:\n  port: 0\nlogging:\n  level: info\nwatch: false\n`;

/**
 * A gateway config for e2e tests: ports 0, admin on 0, no file watching unless asked,
 * the books OpenAPI document copied beside it. `apiExtra` is YAML indented for the API entry.
 */
export function booksConfig(upstream: string, opts: { apiExtra?: string; top?: string; server?: string; admin?: string } = {}): { dir: string; file: string } {
  const yaml = `server:
  port: 0
  host: 127.0.0.1
${opts.server ?? ''}
admin:
  port: 0
${opts.admin ?? ''}
logging:
  level: info
watch: false
${opts.top ?? ''}
apis:
  - name: books
    upstream: ${upstream}
    openapi: ./books.yaml
${opts.apiExtra ?? ''}
`;
  return writeConfig(yaml, { 'books.yaml': readFileSync(fixture('e2e', 'books.yaml'), 'utf8') });
}
