import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { TotpSecretsFileSchema, type TotpSecretsFile } from './schema.js';

/**
 * Parses a TOTP secrets file (YAML or JSON); throws naming the first problem.
 *
 * @example
 * parseSecretsFile('secrets: { alice: { secret: JBSWY3DPEHPK3PXP } }');
 */
export function parseSecretsFile(text: string): TotpSecretsFile {
  const raw: unknown = text.trim() === '' ? {} : parseYaml(text);
  const value = Value.Default(TotpSecretsFileSchema, structuredClone(raw ?? {}));
  if (!Value.Check(TotpSecretsFileSchema, value)) {
    const first = Value.Errors(TotpSecretsFileSchema, value).First();
    throw new Error(`invalid TOTP secrets file: ${first?.path ?? ''} ${first?.message ?? ''}`.trim());
  }
  return value;
}

/** Reads the file; a missing file is empty when `allowMissing` (first enrolment). */
export function readSecretsFile(file: string, allowMissing = false): TotpSecretsFile {
  if (allowMissing && !existsSync(file)) return { secrets: {} };
  return parseSecretsFile(readFileSync(file, 'utf8'));
}

/** Writes atomically with mode 0600: unlike API-key hashes, TOTP secrets must stay readable to verify. */
export function writeSecretsFile(file: string, data: TotpSecretsFile): void {
  const text = file.endsWith('.json') ? `${JSON.stringify(data, null, 2)}\n` : stringifyYaml(data);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}
