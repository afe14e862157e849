import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { makeCtx, makeDeps } from '../../../../../test/fixtures/authn-keys/context.js';
import type { Principal } from '../../../../pipeline/context.js';
import { createStepUpCheck } from './step-up.js';
import { writeSecretsFile } from './secrets-file.js';
import type { StepUpConfig } from './schema.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DP';
const T0 = 1_800_000_000_000; // a step boundary is irrelevant: steps are computed from it
const alice: Principal = { id: 'alice', kind: 'jwt', scopes: [], roles: [], claims: { sub: 'alice' } };
const totp = new TOTP({ secret: Secret.fromBase32(SECRET) });
const codeAt = (ms: number) => totp.generate({ timestamp: ms });

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-totp-'));
  writeSecretsFile(join(dir, 'totp.yaml'), { secrets: { alice: { secret: SECRET } } });
  let now = T0;
  const config: StepUpConfig = { file: 'totp.yaml', header: 'X-Portcullis-OTP', window: 1, period: 30, digits: 6, algorithm: 'SHA1', reloadCheckMs: 1000, realm: 'portcullis' };
  const check = createStepUpCheck(config, makeDeps(dir), { now: () => now });
  const ctx = (code: string | string[] | undefined, principal: Principal | null = alice) => {
    const c = makeCtx({ headers: code === undefined ? {} : { 'x-portcullis-otp': code } });
    c.principal = principal ?? undefined;
    return c;
  };
  return { check, ctx, setNow: (t: number) => { now = t; } };
}

const reason = (r: { kind: string; reason?: string }) => (r.kind === 'failed' ? r.reason : r.kind);

test('a current code steps the principal up; the challenge names the requirement', async () => {
  const { check, ctx } = setup();
  const r = await check(ctx(codeAt(T0)));
  assert.ok(r.kind === 'ok');
  assert.equal(r.principal.id, 'alice');
  assert.equal(r.principal.claims.stepUp, 'totp');
  assert.equal(check.challenge, 'OTP realm="portcullis", header="X-Portcullis-OTP", error="step_up_required"');
});

test('codes one step either side are accepted (clock drift)', async () => {
  const { check, ctx } = setup();
  assert.equal((await check(ctx(codeAt(T0 - 30_000)))).kind, 'ok');
  assert.equal((await check(ctx(codeAt(T0 + 30_000)))).kind, 'ok');
});

test('attack: a wrong code fails', async () => {
  const { check, ctx } = setup();
  const right = codeAt(T0);
  const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
  assert.equal(reason(await check(ctx(wrong))), 'otp_invalid');
  for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456']) assert.equal(reason(await check(ctx(bad))), 'otp_invalid', bad);
  assert.equal(reason(await check(ctx([right, right]))), 'otp_invalid');
});

test('attack: a code cannot be used twice', async () => {
  const { check, ctx, setNow } = setup();
  const code = codeAt(T0);
  assert.equal((await check(ctx(code))).kind, 'ok');
  assert.equal(reason(await check(ctx(code))), 'otp_reused');
  setNow(T0 + 30_000); // still inside the window of the next step
  assert.equal(reason(await check(ctx(code))), 'otp_reused');
});

test('attack: a code from two steps ago fails', async () => {
  const { check, ctx } = setup();
  assert.equal(reason(await check(ctx(codeAt(T0 - 60_000)))), 'otp_invalid');
  assert.equal(reason(await check(ctx(codeAt(T0 + 60_000)))), 'otp_invalid');
});

test('missing code, no principal, principal not enrolled', async () => {
  const { check, ctx } = setup();
  assert.equal(reason(await check(ctx(undefined))), 'otp_required');
  assert.equal(reason(await check(ctx(codeAt(T0), null))), 'no_principal');
  assert.equal(reason(await check(ctx(codeAt(T0), { ...alice, id: 'mallory' }))), 'not_enrolled');
});
