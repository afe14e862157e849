import { readFileSync } from 'node:fs';
import { fixture } from './paths.js';
import { writeConfig } from './gateway.js';

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
