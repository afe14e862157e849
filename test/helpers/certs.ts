import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A freshly generated self-signed certificate for 127.0.0.1/localhost. */
export interface TestCert { cert: string; key: string; dir: string }

/**
 * Generates a real EC P-256 certificate with openssl (no fixtures that expire).
 *
 * @example
 * const { cert, key } = makeCert('one');
 */
export function makeCert(name: string, dir = mkdtempSync(join(tmpdir(), 'pcl-tls-'))): TestCert {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', `/CN=${name}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert, key, dir };
}
