import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { GatewayError, type ClientErrorCode } from '../../errors/index.js';
import { publishSecurityEvent } from '../../observability/channels.js';
import type { RequestContext } from '../../pipeline/context.js';
import { CONTINUE, reject, type Decision, type Stage } from '../../pipeline/stage.js';
import { parseClamdAddress } from './clamd.js';
import { extensionOf, typeAllowed, typesAgree } from './detect.js';
import type { FileOutcome, Scanner } from './file-check.js';
import { decodeExtValue, multipartBoundary, parseHeaderParams } from './header-params.js';
import { UploadObserver, type Observation } from './observer.js';
import { renameFiles } from './rename.js';
import type { UploadsConfig } from './schema.js';
import { VerdictCache } from './verdict-cache.js';

const NAME = 'uploads';
const ORDER = 520;

/** Why a file was refused, in the order they are reported when several files fail. */
interface Refusal {
  readonly code: ClientErrorCode;
  readonly reason: string;
  readonly detail: string;
  readonly severity: 'medium' | 'high';
  readonly file: FileOutcome | undefined;
  readonly excerpt: string;
}

/**
 * Compiles the uploads stage: files in multipart/form-data and raw binary bodies are
 * followed while the body streams in (sizes, counts, SHA-256, magic bytes, a clamd scan),
 * then judged in `inspect`: type allow-lists, declared-vs-detected agreement, malware.
 * The client's file names are rewritten before the body goes upstream.
 *
 * @example
 * const stage = createUploadsStage(Value.Default(UploadsSchema, {}) as UploadsConfig);
 */
export function createUploadsStage(cfg: UploadsConfig, baseDir = '.'): Stage {
  const scanner: Scanner | undefined = cfg.scan === undefined ? undefined : {
    address: parseClamdAddress(cfg.scan.clamd),
    timeoutMs: cfg.scan.timeoutMs,
    maxSize: cfg.scan.maxSize,
    cache: new VerdictCache(cfg.scan.cache.maxEntries, cfg.scan.cache.ttlSeconds * 1000),
  };
  const limits = { maxFileSize: cfg.maxFileSize, maxPartSize: cfg.maxPartSize, maxTotalSize: cfg.maxTotalSize, maxFiles: cfg.maxFiles, maxParts: cfg.maxParts };
  const extensions = cfg.extensions === undefined ? undefined : new Set(cfg.extensions);
  const originalHeader = cfg.filenames.originalHeader?.toLowerCase();
  const observed = new WeakMap<RequestContext, () => Observation>();

  const observeRequestBody = (ctx: RequestContext): UploadObserver | undefined => {
    const contentType = header(ctx, 'content-type');
    if (contentType === undefined) return undefined;
    const type = parseHeaderParams(contentType)?.value;
    if (type === 'multipart/form-data') {
      const boundary = multipartBoundary(contentType);
      if (boundary === undefined) {
        observed.set(ctx, () => refusedBeforeReading('the multipart Content-Type has no valid boundary'));
        return undefined;
      }
      const o = new UploadObserver(limits, scanner, { boundary });
      observed.set(ctx, () => o.observation());
      return o;
    }
    if (type === undefined || !typeAllowed(type, cfg.rawTypes)) return undefined;
    const disposition = header(ctx, 'content-disposition');
    let filename: string | undefined;
    if (disposition !== undefined) {
      const parsed = parseHeaderParams(disposition);
      const ext = parsed?.params.get('filename*');
      filename = ext !== undefined ? decodeExtValue(ext) : parsed?.params.get('filename');
      if (parsed === undefined || (ext !== undefined && filename === undefined)) {
        observed.set(ctx, () => refusedBeforeReading('a malformed Content-Disposition request header'));
        return undefined;
      }
    }
    const o = new UploadObserver(limits, scanner, { raw: { filename, declared: type } });
    observed.set(ctx, () => o.observation());
    return o;
  };

  const judge = (ctx: RequestContext, obs: Observation, files: FileOutcome[]): Decision => {
    // Names are rewritten whatever the verdict, so monitor mode never forwards a client's name either.
    renameFiles(ctx, obs, files, cfg.filenames.action, originalHeader);
    const refusal = firstRefusal(files, cfg, extensions);
    if (refusal !== undefined) return refuse(ctx, refusal, cfg.mode === 'enforce');
    for (const f of files) {
      if (f.scan?.kind === 'unavailable') {
        // Only fail-open gets here: the file goes through unscanned, and operators hear of it.
        publishUploadEvent(ctx, 'upload.unscanned', 'scan-unavailable', 'medium', f, false, undefined, `clamd unavailable (${f.scan.reason}); passed unscanned by onUnavailable: fail-open`);
      } else {
        publishUploadEvent(ctx, 'upload.accepted', f.scan === undefined ? 'checked' : 'scanned-clean', 'info', f, false, undefined, describe(f));
      }
    }
    return CONTINUE;
  };

  const inspect = (ctx: RequestContext): Decision | Promise<Decision> => {
    const obs = observed.get(ctx)?.();
    if (obs === undefined) return CONTINUE;
    observed.delete(ctx);
    if (obs.refusal !== undefined) {
      return refuse(ctx, { code: obs.refusal.code, reason: obs.refusal.code === 'PCL_UPLOAD_MALFORMED' ? 'malformed' : 'too-large', detail: obs.refusal.code === 'PCL_UPLOAD_MALFORMED' ? 'The multipart body could not be read.' : 'The upload exceeds a size or count limit of this operation.', severity: 'medium', file: undefined, excerpt: obs.refusal.reason }, cfg.mode === 'enforce');
    }
    return obs.files.then((files) => judge(ctx, obs, files));
  };

  const unavailablePolicy = cfg.scan?.onUnavailable ?? 'fail-closed';
  function firstRefusal(files: readonly FileOutcome[], c: UploadsConfig, exts: ReadonlySet<string> | undefined): Refusal | undefined {
    for (const f of files) {
      if (f.scan?.kind === 'infected') return { code: 'PCL_UPLOAD_REJECTED', reason: 'malware', detail: 'A file was refused by the malware scan.', severity: 'high', file: f, excerpt: `malware ${f.scan.signature}; ${describe(f)}` };
    }
    for (const f of files) {
      if (!typeAllowed(f.detected.mime, c.types)) return { code: 'PCL_UPLOAD_TYPE_NOT_ALLOWED', reason: 'type-not-allowed', detail: 'A file\'s content is not of a type this operation accepts.', severity: 'medium', file: f, excerpt: describe(f) };
      if (exts !== undefined && f.filename !== undefined && !exts.has(extensionOf(f.filename))) {
        return { code: 'PCL_UPLOAD_TYPE_NOT_ALLOWED', reason: 'extension-not-allowed', detail: 'A file\'s name has an extension this operation does not accept.', severity: 'medium', file: f, excerpt: `extension .${extensionOf(f.filename)}; ${describe(f)}` };
      }
      if (c.requireTypeMatch && !typesAgree(f.declared, f.detected.mime)) return { code: 'PCL_UPLOAD_REJECTED', reason: 'type-mismatch', detail: 'A file\'s declared type does not match its content.', severity: 'high', file: f, excerpt: describe(f) };
    }
    if (unavailablePolicy === 'fail-closed') {
      for (const f of files) {
        if (f.scan?.kind === 'unavailable') return { code: 'PCL_UPLOAD_SCAN_UNAVAILABLE', reason: 'scan-unavailable', detail: 'The malware scanner is unavailable; retry later.', severity: 'medium', file: f, excerpt: `clamd unavailable: ${f.scan.reason}` };
      }
    }
    return undefined;
  }

  return {
    name: NAME, order: ORDER, mode: cfg.mode, onError: cfg.onError, needsRequestBody: true,
    observeRequestBody, handlers: { inspect },
    ...(cfg.spool !== undefined ? { spoolRequestBody: { thresholdBytes: cfg.spool.thresholdBytes, dir: resolve(baseDir, cfg.spool.dir ?? tmpdir()) } } : {}),
  };
}

function refusedBeforeReading(reason: string): Observation {
  return { kind: 'multipart', refusal: { code: 'PCL_UPLOAD_MALFORMED', reason }, files: Promise.resolve([]), parts: [] };
}

function refuse(ctx: RequestContext, r: Refusal, enforced: boolean): Decision {
  const error = new GatewayError(r.code, {
    detail: r.detail, stage: NAME, internal: r.excerpt,
    ...(r.code === 'PCL_UPLOAD_SCAN_UNAVAILABLE' ? { headers: { 'retry-after': '30' } } : {}),
  });
  publishUploadEvent(ctx, 'upload.rejected', r.reason, r.severity, r.file, enforced, error, r.excerpt);
  return reject(error);
}

function describe(f: FileOutcome): string {
  return `detected ${f.detected.mime}; declared ${f.declared ?? '(none)'}; ${f.size} bytes${f.part === undefined ? '' : `; part ${f.part.index}`}`;
}

function publishUploadEvent(ctx: RequestContext, kind: string, reason: string, severity: 'info' | 'medium' | 'high', f: FileOutcome | undefined, enforced: boolean, error: GatewayError | undefined, excerpt: string): void {
  publishSecurityEvent(() => ({
    kind, reason, severity, requestId: ctx.id, api: ctx.route.apiName, operationId: ctx.route.operationId, client: ctx.client.ip,
    ...(ctx.principal !== undefined ? { principal: ctx.principal.id } : {}),
    stage: NAME, enforced, excerpt: excerpt.slice(0, 300),
    ...(f !== undefined ? { sha256: f.sha256 } : {}),
    ...(f?.scan?.kind === 'infected' ? { signature: f.scan.signature } : {}),
    ...(error !== undefined ? { status: error.status, code: error.code } : {}),
    ...(severity === 'info' ? { routine: true } : {}),
  }));
}

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
