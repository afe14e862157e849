import { answerOf, GatewayError, type ClientErrorCode } from '../../errors/index.js';
import { publishSecurityEvent, type SecurityEventInput } from '../../observability/channels.js';
import type { Principal, RequestContext } from '../../pipeline/context.js';
import { CONTINUE, reject, type Decision, type Stage, type StageDeps } from '../../pipeline/stage.js';
import { clientCertificateRefusal } from './client-cert-requirement.js';
import { compileForward } from './forward-headers.js';
import { internalTokenSigner } from './internal-token/index.js';
import type { AuthProvider, VerifyResult } from './provider.js';
import { providerKind } from './providers/registry.js';
import { compileSecurity, grantsOf, type RequiredScheme } from './requirements.js';
import type { AuthnConfig } from './schema.js';
import { schemeTypeMismatch } from './scheme-types.js';
import { sharedProvider } from './shared-providers.js';
import { sharedStepUp } from './shared-step-up.js';

const NAME = 'authn';
const ORDER = 300;

/**
 * Compiles the authn stage of one operation: the OpenAPI security requirements (or the
 * config's `security` override) resolved to configured verifiers. On success `ctx.principal`
 * is set and the principal is forwarded in headers; on failure a uniform 401/403 with an
 * RFC 6750 challenge, while the precise reason goes to a `portcullis:security:event`.
 *
 * @example
 * const stage = createAuthnStage(cfg, deps); // deps.operation?.security = [{ bearerAuth: [] }]
 */
export function createAuthnStage(cfg: AuthnConfig, deps: StageDeps): Stage {
  const realm = cfg.realm ?? deps.apiName.replace(/["\\]/g, '');
  const where = deps.operationId === undefined ? `API ${deps.apiName}` : `operation ${deps.operationId}`;
  const requirements = cfg.security ?? deps.operation?.security;
  if (requirements === undefined && deps.operation === undefined) {
    throw new Error(`${where}: authn on an API without an OpenAPI document needs \`security\` (e.g. [{ bearerAuth: [] }])`);
  }
  // Checked for every configured scheme, used by this operation or not: the mapping is wrong either way.
  for (const [scheme, config] of Object.entries(cfg.schemes as Record<string, { kind: string }>)) {
    const mismatch = schemeTypeMismatch(config.kind, deps.securitySchemes?.[scheme] as Record<string, unknown> | undefined);
    if (mismatch !== undefined) throw new Error(`schemes.${scheme}.kind: ${mismatch}`);
  }
  const providers = new Map<string, AuthProvider>();
  const provider = (scheme: string): AuthProvider | undefined => {
    const existing = providers.get(scheme);
    if (existing !== undefined) return existing;
    const config = (cfg.schemes as Record<string, { kind: string }>)[scheme];
    if (config === undefined) return undefined;
    const def = providerKind(config.kind);
    if (def === undefined) throw new Error(`scheme "${scheme}": unknown kind "${config.kind}"`);
    const securityScheme = deps.securitySchemes?.[scheme] as Record<string, unknown> | undefined;
    let built: AuthProvider;
    try {
      // The keyring's stamp is part of the identity: a rotated secretKey must give a new provider.
      built = sharedProvider(deps.store, deps.apiName, scheme, deps.keyring === undefined ? config : { config, keyring: deps.keyring.stamp() }, deps.baseDir,
        () => def.create(config as never, { ...deps, scheme, securityScheme, realm }));
    } catch (err) {
      throw new Error(`scheme "${scheme}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    providers.set(scheme, built);
    return built;
  };
  const security = compileSecurity(requirements, provider, where,
    (scheme) => grantsOf((cfg.schemes as Record<string, { requirementsFrom?: string[] }>)[scheme]?.requirementsFrom));
  const forward = compileForward(cfg.forward);
  const internal = cfg.forward.internalToken === undefined ? undefined : internalTokenSigner(cfg.forward.internalToken, deps.baseDir);
  const cleared = internal === undefined ? forward.cleared : { ...forward.cleared, [internal.header]: null };
  const challenges = [...new Set((security ?? []).flat().map((m) => m.provider.challenge))].join(', ');
  const api = deps.apiName;
  const operationId = deps.operationId;
  const needsStepUp = cfg.stepUpRequired ?? deps.operation?.extensions?.['x-portcullis-step-up'] === true;
  if (needsStepUp && cfg.stepUp === undefined) throw new Error(`${where}: step-up is required (x-portcullis-step-up or stepUpRequired) but stages.authn.stepUp is not configured`);
  const stepUp = needsStepUp && cfg.stepUp !== undefined ? sharedStepUp(cfg.stepUp, { ...deps, realm }) : undefined;
  // Providers that can only finish once the body is read (HTTP message signatures over content-digest).
  const bodyBound = [...providers.values()].filter((p): p is BodyBound => typeof (p as Partial<BodyBound>).verifyBody === 'function');
  const authenticatedBy = new WeakMap<RequestContext, readonly AuthProvider[]>();

  const event = (ctx: RequestContext, kind: string, reason: string, severity: 'info' | 'low' | 'medium', scheme?: string, principal?: Principal, answer?: ClientErrorCode) =>
    publishSecurityEvent(() => {
      // Assigned rather than spread: this runs for every authenticated request (authn.success).
      const m: SecurityEventInput = { kind, reason, requestId: ctx.id, api, operationId, client: ctx.client.ip, severity, stage: NAME };
      if (answer !== undefined) Object.assign(m, answerOf(answer));
      if (scheme !== undefined) m.scheme = scheme;
      if (principal !== undefined) m.principal = principal.id;
      return m;
    });

  const members = (security ?? []).flat();
  const distinct = new Set(members.map((m) => m.provider)).size === members.length;

  // The common shape (one scheme, no step-up, no internal token, no certificate requirement)
  // decides a synchronous success without a promise; everything else takes the general path,
  // handed the provider's answer so nothing is verified twice. ADR 0027.
  const only = security?.length === 1 && security[0]!.length === 1 && stepUp === undefined && internal === undefined && cfg.requireClientCertificate !== true
    ? security[0]![0]!
    : undefined;
  const authenticate = (ctx: RequestContext): Decision | Promise<Decision> => {
    if (only === undefined) return authenticateAll(ctx);
    const r = only.provider.verify(ctx);
    if (r instanceof Promise || r.kind !== 'ok' || only.missing(r.principal).length > 0) return authenticateAll(ctx, r);
    const principal = r.principal;
    // Client-sent copies of the principal headers never reach the upstream; then the principal's own.
    ctx.upstreamHeaders = { ...ctx.upstreamHeaders, ...cleared, ...forward.headersFor(principal) };
    ctx.principal = principal;
    if (bodyBound.length > 0) authenticatedBy.set(ctx, [only.provider]);
    event(ctx, 'authn.success', principal.kind, 'info', only.provider.scheme, principal);
    return CONTINUE;
  };

  const authenticateAll = async (ctx: RequestContext, first?: VerifyResult | Promise<VerifyResult>): Promise<Decision> => {
    // Client-sent copies of the principal headers never reach the upstream, public operation or not.
    ctx.upstreamHeaders = { ...ctx.upstreamHeaders, ...cleared };
    if (cfg.requireClientCertificate === true) {
      const refused = clientCertificateRefusal(ctx, realm);
      if (refused !== undefined) {
        event(ctx, 'authn.failure', refused.reason, 'medium', undefined, undefined, refused.error.code);
        return reject(refused.error);
      }
    }
    if (security === undefined) return CONTINUE;
    // A provider named in several combinations is asked once; the map exists only when one is
    // (or when the synchronous path already asked the only one).
    const results = distinct && first === undefined ? undefined : new Map<AuthProvider, VerifyResult | Promise<VerifyResult>>(first === undefined ? [] : [[only!.provider, first]]);
    const result = async (p: AuthProvider): Promise<VerifyResult> => {
      if (results === undefined) return p.verify(ctx);
      let r = results.get(p);
      if (r === undefined) {
        r = p.verify(ctx);
        results.set(p, r);
      }
      return r;
    };
    let failure: { provider: AuthProvider; reason: string } | undefined;
    let insufficient: { member: RequiredScheme; principal: Principal } | undefined;
    for (const combination of security) {
      const principals: Principal[] = [];
      let passed = true;
      for (const member of combination) {
        const r = await result(member.provider);
        if (r.kind === 'absent') { passed = false; break; }
        if (r.kind === 'failed') { failure ??= { provider: member.provider, reason: r.reason }; passed = false; break; }
        if (member.missing(r.principal).length > 0) {
          insufficient ??= { member, principal: r.principal };
          passed = false;
          break;
        }
        principals.push(r.principal);
      }
      if (!passed) continue;
      let principal = merge(principals);
      if (stepUp !== undefined) {
        const authenticated = principal;
        ctx.principal = authenticated;
        const r = await stepUp(ctx);
        if (r.kind !== 'ok') {
          ctx.principal = undefined;
          event(ctx, 'authn.failure', r.kind === 'failed' ? r.reason : 'otp_required', 'medium', r.kind === 'failed' ? r.scheme : undefined, authenticated, 'PCL_AUTHN_STEP_UP_REQUIRED');
          return reject(new GatewayError('PCL_AUTHN_STEP_UP_REQUIRED', {
            detail: 'This operation requires a current one-time code.',
            headers: { 'www-authenticate': stepUp.challenge },
            stage: NAME,
            internal: `step-up: ${r.kind === 'failed' ? r.reason : r.kind}`,
          }));
        }
        principal = r.principal;
      }
      if (principal !== undefined) {
        ctx.principal = principal;
        ctx.upstreamHeaders = { ...ctx.upstreamHeaders, ...forward.headersFor(principal), ...(internal === undefined ? {} : { [internal.header]: await internal.sign(principal) }) };
        if (bodyBound.length > 0) authenticatedBy.set(ctx, combination.map((m) => m.provider));
        event(ctx, 'authn.success', principal.kind, 'info', combination[0]?.provider.scheme, principal);
      }
      return CONTINUE;
    }
    if (failure !== undefined) {
      event(ctx, 'authn.failure', failure.reason, 'medium', failure.provider.scheme, undefined, 'PCL_AUTHN_INVALID');
      return reject(new GatewayError('PCL_AUTHN_INVALID', {
        detail: 'The presented credentials are not valid.',
        headers: { 'www-authenticate': withParams(failure.provider.challenge, 'error="invalid_token"') },
        stage: NAME,
        internal: `${failure.provider.scheme}: ${failure.reason}`,
      }));
    }
    if (insufficient !== undefined) {
      const { member, principal } = insufficient;
      event(ctx, 'authn.failure', 'insufficient_scope', 'low', member.provider.scheme, principal, 'PCL_AUTHN_INSUFFICIENT_SCOPE');
      return reject(new GatewayError('PCL_AUTHN_INSUFFICIENT_SCOPE', {
        detail: 'The credentials do not grant the scope this operation requires.',
        headers: { 'www-authenticate': withParams(member.provider.challenge, `error="insufficient_scope", scope="${member.scopes.join(' ').replace(/["\\]/g, '')}"`) },
        stage: NAME,
        internal: `${member.provider.scheme}: principal ${principal.id} lacks ${member.missing(principal).join(' ')}`,
      }));
    }
    event(ctx, 'authn.failure', 'missing_credentials', 'low', undefined, undefined, 'PCL_AUTHN_REQUIRED');
    return reject(new GatewayError('PCL_AUTHN_REQUIRED', {
      detail: 'This operation requires authentication.',
      headers: { 'www-authenticate': challenges },
      stage: NAME,
      internal: 'no credentials of an accepted kind',
    }));
  };

  // The body is read just before `inspect`: a signature that covered content-digest is only
  // proven once the body matches it, so the request is held here until then.
  const inspect = (ctx: RequestContext): Decision => {
    const by = authenticatedBy.get(ctx);
    if (by === undefined) return CONTINUE;
    for (const p of bodyBound) {
      if (!by.includes(p)) continue;
      const r = p.verifyBody(ctx);
      if (r.kind !== 'failed') continue;
      event(ctx, 'authn.failure', r.reason, 'medium', p.scheme, ctx.principal, 'PCL_AUTHN_INVALID');
      ctx.principal = undefined;
      return reject(new GatewayError('PCL_AUTHN_INVALID', {
        detail: 'The presented credentials are not valid.',
        headers: { 'www-authenticate': p.challenge },
        stage: NAME,
        internal: `${p.scheme}: ${r.reason}`,
      }));
    }
    return CONTINUE;
  };

  if (bodyBound.length === 0) return { name: NAME, order: ORDER, mode: cfg.mode, onError: cfg.onError, handlers: { authenticate } };
  return { name: NAME, order: ORDER, mode: cfg.mode, onError: cfg.onError, needsRequestBody: true, handlers: { authenticate, inspect } };
}

/** A provider that must also check the request body once it is read (see BodyBoundAuthProvider). */
interface BodyBound extends AuthProvider {
  verifyBody(ctx: RequestContext): VerifyResult;
}

/** RFC 6750 error attributes only make sense on Bearer challenges; other schemes get the bare challenge. */
function withParams(challenge: string, params: string): string {
  if (!/^bearer\b/i.test(challenge)) return challenge;
  return /^\S+\s+\S/.test(challenge) ? `${challenge}, ${params}` : `${challenge} ${params}`;
}

/** The principal of a combination: the first one, with the scopes and roles of all. */
function merge(principals: readonly Principal[]): Principal | undefined {
  const [first, ...rest] = principals;
  if (first === undefined || rest.length === 0) return first;
  return {
    ...first,
    scopes: [...new Set(principals.flatMap((p) => p.scopes))],
    roles: [...new Set(principals.flatMap((p) => p.roles))],
  };
}
