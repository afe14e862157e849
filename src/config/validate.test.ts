import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { compileSchema } from './ajv.js';
import { formatIssue, loadConfig, validateValue, type LoadedConfig } from './load.js';
import { ModeSchema } from './schema.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const JwtSchema = Type.Object({
  issuer: Type.String({ format: 'http-url' }),
  audience: Type.String({ minLength: 1 }),
  leewaySeconds: Type.Integer({ minimum: 0, default: 30 }),
  mode: ModeSchema,
  onError: Type.Optional(Type.String()),
  algorithm: Type.Union([Type.Literal('RS256'), Type.Literal('ES256')], { default: 'RS256' }),
}, { additionalProperties: false });

async function load(stage: string): Promise<{ file: string; loaded: LoadedConfig }> {
  const dir = await mkdtemp(join(tmpdir(), 'pcl-validate-'));
  dirs.push(dir);
  const file = join(dir, 'portcullis.yaml');
  await writeFile(file, `apis:\n  - name: demo\n    upstream: http://127.0.0.1:3000\n    prefixes: [/]\n    stages:\n      jwt:\n${stage}`);
  return { file, loaded: await loadConfig(file, {}) };
}

const BASE = ['apis', 0, 'stages', 'jwt'] as const;

describe('validateValue', () => {
  it('applies defaults on a frozen copy and leaves the config untouched', async () => {
    const { loaded } = await load('        issuer: https://idp.example\n        audience: api\n');
    const original = loaded.config.apis[0]?.stages?.jwt;
    const { value, issues } = validateValue(JwtSchema, original, BASE, loaded);
    assert.deepEqual(issues, []);
    assert.equal(value.leewaySeconds, 30);
    assert.equal(value.mode, 'enforce');
    assert.equal(value.algorithm, 'RS256');
    assert.ok(Object.isFrozen(value));
    assert.notEqual(value, original);
    assert.equal((original as Record<string, unknown>).leewaySeconds, undefined);
  });

  it('reports issues with the same messages and lines as loading', async () => {
    const { file, loaded } = await load('        issuer: ftp://idp\n        audiance: api\n        leewaySeconds: -5\n        algorithm: none\n');
    const { issues } = validateValue(JwtSchema, loaded.config.apis[0]?.stages?.jwt, BASE, loaded);
    assert.deepEqual(issues.map(formatIssue), [
      `${file}:6 apis[0].stages.jwt.audience: is required`,
      `${file}:7 apis[0].stages.jwt.issuer: must be an http(s) URL`,
      `${file}:8 apis[0].stages.jwt.audiance: unknown key "audiance" (did you mean "audience"?); valid keys: issuer, audience, leewaySeconds, mode, onError, algorithm`,
      `${file}:9 apis[0].stages.jwt.leewaySeconds: must be >= 0`,
      `${file}:10 apis[0].stages.jwt.algorithm: must be one of: RS256, ES256`,
    ]);
  });

  it('compiles each schema object once', () => {
    assert.equal(compileSchema(JwtSchema), compileSchema(JwtSchema));
    assert.notEqual(compileSchema(JwtSchema), compileSchema(Type.Object({})));
  });
});
