import { answerOf, GatewayError } from '../../errors/index.js';
import type { Keyring } from '../../keyring/keyring.js';
import { publishSecurityEvent } from '../../observability/channels.js';
import { replaceResponseJson, responseJson, type RequestContext, type ResponseContext } from '../../pipeline/context.js';
import { CONTINUE, reject, type Decision, type Stage } from '../../pipeline/stage.js';
import { decryptField, encryptField, isDirJwe, type DecryptFailure } from './jwe.js';
import { compilePointer, visitPointer, type CompiledPointer } from './pointer.js';
import type { FieldEncryptionConfig } from './schema.js';

export const FIELD_ENCRYPTION_ORDER = 750;

type Slot = { readonly container: Record<string, unknown> | unknown[]; readonly key: string | number; readonly value: unknown };

function collect(root: unknown, pointers: readonly CompiledPointer[]): Slot[] {
  const slots: Slot[] = [];
  for (const p of pointers) visitPointer(root, p, (container, key, value) => slots.push({ container, key, value }));
  return slots;
}

function drop(slot: Slot): void {
  if (Array.isArray(slot.container)) slot.container[slot.key as number] = null;
  else delete slot.container[slot.key as string];
}

function set(slot: Slot, value: unknown): void {
  (slot.container as Record<string | number, unknown>)[slot.key] = value;
}

function isJsonType(ct: unknown): boolean {
  const essence = typeof ct === 'string' ? ct.split(';')[0]!.trim().toLowerCase() : '';
  return essence === 'application/json' || essence.endsWith('+json');
}

/**
 * Field-level encryption. Request side (authorize phase, after validation and authz): the named
 * fields of the JSON body are replaced by compact JWEs (`dir`, A256GCM, kid of the keyring key's
 * current version), so the upstream stores ciphertext. Response side (before response-filter): on
 * the shared parse of the body (ADR 0010), callers with a `decryptRoles` role get the fields in
 * clear; everyone else gets them masked or removed. A JWE that does not decrypt is masked or
 * removed with a `data.decrypt_failed` event, never a 5xx.
 */
export function createFieldEncryptionStage(cfg: FieldEncryptionConfig, keyring: Keyring | undefined): Stage {
  if (keyring === undefined || !keyring.has(cfg.key)) throw new Error(`key "${cfg.key}" is not in keyring.keys (or could not be read)`);
  const current = keyring.current(cfg.key);
  if (current.key.length !== 32) throw new Error(`key "${cfg.key}" is ${current.key.length} bytes; A256GCM needs 32 (set length: 32 on the key)`);
  const pointers = cfg.fields.map(compilePointer);
  const readers = new Set(cfg.decryptRoles);

  const event = (ctx: RequestContext, kind: string, reason: string, severity: 'low' | 'medium' | 'high', excerpt?: string, answer?: 'PCL_FLE_BODY_INVALID') => publishSecurityEvent(() => ({
    kind, reason, severity, requestId: ctx.id, api: ctx.route.apiName, operationId: ctx.route.operationId, client: ctx.client.ip,
    ...(ctx.principal === undefined ? {} : { principal: ctx.principal.id }), stage: 'field-encryption', enforced: true, ...(excerpt === undefined ? {} : { excerpt }),
    ...answerOf(answer),
  }));

  const authorize = (ctx: RequestContext): Decision => {
    const body = ctx.body;
    if (body === undefined || body.length === 0) return CONTINUE;
    // The refusal's one event, with its answer: the gateway's generic `request.refused` would lose why.
    const refuse = (reason: 'encoded' | 'not_json', why: string) => {
      event(ctx, 'data.encrypt_refused', reason, 'medium', undefined, 'PCL_FLE_BODY_INVALID');
      return reject(new GatewayError('PCL_FLE_BODY_INVALID', { detail: 'The request body must be JSON on this operation.', stage: 'field-encryption', internal: why }));
    };
    const enc = ctx.headers['content-encoding'];
    if (enc !== undefined && enc !== 'identity') return refuse('encoded', `content-encoding ${String(enc)}`);
    // Parsed whatever the declared media type: a body an upstream might read as JSON must not carry the fields in clear.
    let data: unknown;
    try {
      data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    } catch {
      return refuse('not_json', 'not JSON');
    }
    const slots = collect(data, pointers);
    if (slots.length === 0) return CONTINUE;
    for (const s of slots) set(s, encryptField(keyring, cfg.key, s.value));
    ctx.body = Buffer.from(JSON.stringify(data));
    return CONTINUE;
  };

  const respond = (ctx: RequestContext, res: ResponseContext): Decision => {
    if (res.generated || !isJsonType(res.headers['content-type'])) return CONTINUE;
    if (res.body === undefined) {
      if (res.oversize === true) event(ctx, 'data.uninspected', 'too_large', 'medium');
      return CONTINUE;
    }
    const enc = res.headers['content-encoding'];
    if (enc !== undefined && enc !== 'identity') { event(ctx, 'data.uninspected', 'encoded', 'medium'); return CONTINUE; }
    const parsed = responseJson(res as ResponseContext & { body: Buffer });
    if (!parsed.ok) return CONTINUE;
    const slots = collect(parsed.value, pointers);
    if (slots.length === 0) return CONTINUE;
    const reader = (ctx.principal?.roles ?? []).some((r) => readers.has(r));
    const failures: Record<string, number> = {};
    const hide = (s: Slot, how: 'mask' | 'remove') => { if (how === 'remove') drop(s); else set(s, cfg.mask); };
    if (reader) {
      for (const s of slots) {
        const r = isDirJwe(s.value) ? decryptField(keyring, cfg.key, s.value) : undefined;
        // Not JWE-shaped: data stored before encryption was turned on; a reader sees it as stored.
        if (r === undefined) continue;
        if (r.ok) set(s, r.value);
        else { failures[r.reason] = (failures[r.reason] ?? 0) + 1; hide(s, cfg.onDecryptFailure); }
      }
    } else {
      // Every value at a named field is hidden, ciphertext or not: a field is sensitive whatever the upstream stored.
      for (const s of [...slots].reverse()) hide(s, cfg.others);
    }
    const reasons = Object.keys(failures) as DecryptFailure[];
    if (reasons.length > 0) {
      event(ctx, 'data.decrypt_failed', reasons.join(','), 'high', reasons.map((r) => `${r}:${failures[r]}`).join(' '));
    }
    // The parse was edited in place: the body and the shared parse are replaced together (ADR 0010).
    replaceResponseJson(res, parsed.value);
    return CONTINUE;
  };

  return {
    name: 'field-encryption', order: FIELD_ENCRYPTION_ORDER, mode: 'enforce', onError: 'fail-closed',
    needsRequestBody: cfg.encryptRequests, needsResponseBody: true, maxResponseBodySize: cfg.maxBodySize,
    handlers: { ...(cfg.encryptRequests ? { authorize } : {}), respond },
  };
}
