import { randomBytes, webcrypto } from 'node:crypto';
import { CompactEncrypt, compactDecrypt } from 'jose';
import { Keyring } from '../src/keyring/keyring.js';
import { decryptField, encryptField } from '../src/stages/field-encryption/jwe.js';
import { median } from './report.js';

// `node dist/bench/field-encryption.js [--n N] [--rounds N]`: CPU µs per field encrypted and then
// decrypted as a compact JWE (dir, A256GCM), the gateway's node:crypto code against jose over
// WebCrypto (the reference, and what the stage used before ADR 0035), interleaved round by round
// in one process. See docs/performance.md, "Field-level encryption per field".

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const n = arg('--n', 5_000);
const rounds = arg('--rounds', 7);

const key = new Uint8Array(randomBytes(32));
const info = { kid: 'pii.v1', version: 1, createdAt: undefined };
const keyring = new Keyring([{ info: { name: 'pii', source: 'env', location: 'bench', current: info, versions: [info], rotationDays: undefined }, material: new Map([['pii.v1', key]]) }]);
const cryptoKey = await webcrypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
const plaintext = new TextEncoder().encode(JSON.stringify('Ann Example'));

const reference = async (): Promise<void> => {
  const jwe = await new CompactEncrypt(plaintext).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'pii.v1', cty: 'json' }).encrypt(cryptoKey);
  await compactDecrypt(jwe, cryptoKey, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
};
const gateway = (): void => {
  const r = decryptField(keyring, 'pii', encryptField(keyring, 'pii', 'Ann Example'));
  if (!r.ok) throw new Error('round trip failed');
};

async function cpuPer(fn: () => unknown): Promise<number> {
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / n;
}

const ref: number[] = [];
const ours: number[] = [];
await cpuPer(reference);
await cpuPer(gateway);
for (let r = 0; r < rounds; r++) {
  ref.push(await cpuPer(reference));
  ours.push(await cpuPer(gateway));
}
const m = { ref: median(ref), ours: median(ours) };
process.stdout.write([
  `Field-level encryption, one short string field encrypted then decrypted; median CPU µs of ${rounds} rounds × ${n}`,
  '',
  '| implementation | µs per field | vs jose |',
  '|---|---:|---:|',
  `| jose over WebCrypto (reference; the stage before ADR 0035) | ${m.ref.toFixed(1)} | 1.00 |`,
  `| node:crypto AES-256-GCM (src/stages/field-encryption/jwe.ts) | ${m.ours.toFixed(1)} | ${(m.ours / m.ref).toFixed(2)} |`,
  '',
].join('\n'));
