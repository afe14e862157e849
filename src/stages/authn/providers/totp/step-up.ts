import { resolve } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import type { RequestContext } from '../../../../pipeline/context.js';
import type { StageDeps } from '../../../../pipeline/stage.js';
import type { VerifyResult } from '../../provider.js';
import { WatchedFile } from '../api-key/watched-file.js';
import type { StepUpConfig } from './schema.js';
import { parseSecretsFile } from './secrets-file.js';

/** The scheme name step-up failures are reported under. */
export const STEP_UP_SCHEME = 'totp-step-up';

/**
 * A compiled step-up check: call it after the principal is known. `challenge` is the
 * `WWW-Authenticate` value for the 401 the authn stage returns when the check fails.
 */
export interface StepUpCheck {
  (ctx: RequestContext): Promise<VerifyResult>;
  readonly challenge: string;
}

/** Options for tests: an injected clock (milliseconds). */
export interface StepUpOptions {
  readonly now?: () => number;
}

/** Store key marking one time step of one principal as used. */
export function totpUsedKey(principal: string, step: number): string {
  return `totp:used:${principal}:${step}`;
}

/**
 * Builds the TOTP step-up check (RFC 6238). The principal set by authentication must present
 * a code from its enrolled secret in the configured header; ±`window` steps are accepted, and
 * each step's code is accepted once only (store-backed, so every instance sees it).
 *
 * The result is `ok` with the principal unchanged (plus `claims.stepUp`), or `failed` with
 * reason `no_principal`, `otp_required`, `not_enrolled`, `otp_invalid` or `otp_reused`.
 *
 * @example
 * const stepUp = createStepUpCheck(config, deps);
 * const r = await stepUp(ctx);
 * if (r.kind !== 'ok') reject 401 with { 'www-authenticate': stepUp.challenge };
 */
export function createStepUpCheck(config: StepUpConfig, deps: StageDeps & { readonly realm?: string }, opts: StepUpOptions = {}): StepUpCheck {
  const now = opts.now ?? Date.now;
  const header = config.header.toLowerCase();
  const codeRe = new RegExp(`^[0-9]{${config.digits}}$`);
  const secrets = new WatchedFile(resolve(deps.baseDir, config.file), (text) => {
    const map = new Map<string, TOTP>();
    for (const [principal, { secret }] of Object.entries(parseSecretsFile(text).secrets)) {
      map.set(principal, new TOTP({ secret: Secret.fromBase32(secret), algorithm: config.algorithm, digits: config.digits, period: config.period }));
    }
    return map;
  }, config.reloadCheckMs, now);
  // A used step must stay marked for as long as any window could accept it again.
  const usedTtlMs = (2 * config.window + 2) * config.period * 1000;
  const failed = (reason: string): VerifyResult => ({ kind: 'failed', reason, scheme: STEP_UP_SCHEME });

  const check = async (ctx: RequestContext): Promise<VerifyResult> => {
    const principal = ctx.principal;
    if (principal === undefined) return failed('no_principal');
    const code = ctx.headers[header];
    if (code === undefined) return failed('otp_required');
    if (typeof code !== 'string' || !codeRe.test(code)) return failed('otp_invalid');
    const totp = (await secrets.current()).get(principal.id);
    if (totp === undefined) return failed('not_enrolled');
    const timestamp = now();
    const delta = totp.validate({ token: code, timestamp, window: config.window });
    if (delta === null) return failed('otp_invalid');
    const step = totp.counter({ timestamp }) + delta;
    if (!(await deps.store.setIfAbsent(totpUsedKey(principal.id, step), '1', usedTtlMs))) return failed('otp_reused');
    return { kind: 'ok', principal: { ...principal, claims: { ...principal.claims, stepUp: 'totp' } } };
  };
  return Object.assign(check, {
    challenge: `OTP realm="${config.realm ?? deps.realm ?? 'portcullis'}", header="${config.header}", error="step_up_required"`,
  });
}
