import type { RequestContext } from '../../../../pipeline/context.js';
import type { StageDeps } from '../../../../pipeline/stage.js';
import type { AuthProvider, VerifyResult } from '../../provider.js';
import { checkContentDigest } from './content-digest.js';
import type { HttpSignatureProviderConfig } from './schema.js';
import { signatureBase } from './signature-base.js';
import { isInnerList, parseDictionary, type InnerList, type Member } from './structured-fields.js';
import { compileSignatureKey, type CompiledSignatureKey } from './verify.js';

/**
 * An AuthProvider that also needs the request body: the authn stage must declare
 * `needsRequestBody` when one is configured, and call `verifyBody` once the body is read
 * (the pipeline reads it just before `inspect`). Until then the principal is provisional.
 */
export interface BodyBoundAuthProvider extends AuthProvider {
  readonly needsRequestBody: true;
  /** Checks the body against the signed Content-Digest: `ok`, `failed`, or `absent` when there is nothing to check (another kind of principal, or content-digest not signed). */
  verifyBody(ctx: RequestContext): VerifyResult;
}

/** Store key remembering a nonce of a key id. */
export function nonceKey(keyid: string, nonce: string): string {
  return `sig:nonce:${keyid}:${nonce}`;
}

const MAX_SIGNATURES = 8;

/** Options for tests: an injected clock (milliseconds). */
export interface HttpSignatureProviderOptions {
  readonly now?: () => number;
}

/**
 * Builds the RFC 9421 HTTP Message Signatures verifier of one security scheme. The algorithm
 * comes from the key configured for `keyid`, never from the request. Reasons: `malformed`,
 * `unknown_key`, `alg_mismatch`, `missing_components`, `digest_not_covered`, `created_missing`,
 * `stale`, `future`, `expired`, `nonce_missing`, `replayed`, `bad_signature`, `digest_mismatch`.
 *
 * @example
 * const p = createHttpSignatureProvider('signed', config, deps);
 * const r = await p.verify(ctx); // then, once the body is read: p.verifyBody(ctx)
 */
export function createHttpSignatureProvider(scheme: string, config: HttpSignatureProviderConfig, deps: StageDeps & { readonly realm?: string }, opts: HttpSignatureProviderOptions = {}): BodyBoundAuthProvider {
  const now = opts.now ?? Date.now;
  const keys = new Map<string, CompiledSignatureKey>();
  for (const k of config.keys) {
    if (keys.has(k.keyid)) throw new Error(`duplicate keyid ${k.keyid}`);
    keys.set(k.keyid, compileSignatureKey(k));
  }
  const failed = (reason: string): VerifyResult => ({ kind: 'failed', reason, scheme });
  const nonceTtlMs = (config.maxAgeSeconds + config.clockSkewSeconds) * 1000;

  const verifyOne = async (ctx: RequestContext, label: string, input: InnerList, sigMember: Member | undefined, key: CompiledSignatureKey): Promise<VerifyResult> => {
    if (sigMember === undefined || isInnerList(sigMember) || typeof sigMember.value !== 'object' || !('bytes' in sigMember.value)) return failed('malformed');
    const p = input.params;
    const alg = p.get('alg');
    if (alg !== undefined && alg !== key.config.alg) return failed('alg_mismatch');
    const covered = new Set<string>();
    for (const it of input.items) {
      if (typeof it.value !== 'string') return failed('malformed');
      if (it.params.size === 0) covered.add(it.value);
    }
    const targetOk = covered.has('@target-uri') || covered.has('@request-target')
      || (covered.has('@authority') && covered.has('@path') && (ctx.query === '' || covered.has('@query')));
    if (!covered.has('@method') || !targetOk || config.requiredComponents.some((c) => !covered.has(c))) return failed('missing_components');
    if (config.requireContentDigest && hasBody(ctx) && !covered.has('content-digest')) return failed('digest_not_covered');
    const t = now() / 1000;
    const created = p.get('created');
    if (typeof created !== 'number' || !Number.isInteger(created)) return failed('created_missing');
    if (created > t + config.clockSkewSeconds) return failed('future');
    if (t - created > config.maxAgeSeconds) return failed('stale');
    const expires = p.get('expires');
    if (expires !== undefined && (typeof expires !== 'number' || t > expires + config.clockSkewSeconds)) return failed('expired');
    const nonce = p.get('nonce');
    if (nonce !== undefined && (typeof nonce !== 'string' || nonce.length === 0 || nonce.length > 256)) return failed('malformed');
    if (config.requireNonce && nonce === undefined) return failed('nonce_missing');
    const base = signatureBase(ctx, input);
    if (base === undefined) return failed('missing_components');
    if (!key.verify(Buffer.from(base, 'utf8'), sigMember.value.bytes)) return failed('bad_signature');
    // The nonce is spent only by a valid signature, so forged requests cannot burn a client's nonces.
    if (typeof nonce === 'string' && !(await deps.store.setIfAbsent(nonceKey(key.config.keyid, nonce), '1', nonceTtlMs))) return failed('replayed');
    const { config: k } = key;
    return {
      kind: 'ok',
      principal: {
        id: k.clientId, kind: 'http-signature', scopes: k.scopes, roles: k.roles, clientId: k.clientId,
        claims: { keyId: k.keyid, label, covered: [...covered], contentDigest: covered.has('content-digest') },
      },
    };
  };

  const verify = async (ctx: RequestContext): Promise<VerifyResult> => {
    const inputHeader = ctx.headers['signature-input'];
    const sigHeader = ctx.headers.signature;
    if (inputHeader === undefined && sigHeader === undefined) return { kind: 'absent' };
    if (typeof inputHeader !== 'string' || typeof sigHeader !== 'string') return failed('malformed');
    let inputs: Map<string, Member>;
    let sigs: Map<string, Member>;
    try {
      inputs = parseDictionary(inputHeader);
      sigs = parseDictionary(sigHeader);
    } catch {
      return failed('malformed');
    }
    if (inputs.size === 0 || inputs.size > MAX_SIGNATURES) return failed('malformed');
    let first: VerifyResult | undefined;
    for (const [label, input] of inputs) {
      if (!isInnerList(input)) return failed('malformed');
      if (config.tag !== undefined && input.params.get('tag') !== config.tag) continue;
      const keyid = input.params.get('keyid');
      const key = typeof keyid === 'string' ? keys.get(keyid) : undefined;
      if (key === undefined) continue;
      const r = await verifyOne(ctx, label, input, sigs.get(label), key);
      if (r.kind === 'ok') return r;
      first ??= r;
    }
    return first ?? failed('unknown_key');
  };

  const verifyBody = (ctx: RequestContext): VerifyResult => {
    const principal = ctx.principal;
    if (principal === undefined || principal.kind !== 'http-signature' || principal.claims.contentDigest !== true) return { kind: 'absent' };
    const header = ctx.headers['content-digest'];
    if (typeof header !== 'string') return failed('digest_mismatch');
    const r = checkContentDigest(header, ctx.body ?? Buffer.alloc(0));
    return r === 'ok' ? { kind: 'ok', principal } : failed(r === 'mismatch' ? 'digest_mismatch' : `digest_${r}`);
  };

  return { scheme, kind: 'http-signature', challenge: `Signature realm="${config.realm ?? deps.realm ?? 'portcullis'}"`, needsRequestBody: true, verify, verifyBody };
}

function hasBody(ctx: RequestContext): boolean {
  const len = ctx.headers['content-length'];
  return (len !== undefined && len !== '0') || ctx.headers['transfer-encoding'] !== undefined;
}
