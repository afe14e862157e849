import { ajvFor, type ValidateFunction } from '../openapi/ajv.js';
import type { OpenApiDocument, OperationInfo } from '../openapi/index.js';
import { toJsonSchema } from '../openapi/json-schema.js';
import { Router } from '../router/index.js';

interface Media { readonly essence: string; readonly json: boolean; readonly validate: ValidateFunction | undefined }
interface OperationContract { readonly operation: OperationInfo; readonly responses: ReadonlyMap<string, readonly Media[]> }

/** What a third party's response is checked against; undefined members mean "no constraint". */
export interface ResponseVerdict { readonly ok: boolean; readonly reason?: string }

/**
 * The contract of a third party's API, compiled from its OpenAPI document at load: a router
 * of its operations, and per operation and declared status the media types and an Ajv
 * validator of JSON bodies. The gateway checks what comes back before the application sees
 * it, so a provider that changed (or was compromised) cannot push undeclared data in.
 *
 * @example
 * const c = new EgressContract(doc, true);
 * const op = c.operation('GET', '/v1/rates');
 * c.check(op!, 200, 'application/json', body);
 */
export class EgressContract {
  readonly #router = new Router<OperationContract>();
  readonly #basePath: string;
  readonly contentTypes: readonly string[];

  constructor(doc: OpenApiDocument, strict: boolean) {
    this.#basePath = doc.basePath;
    const ajv = ajvFor(doc.raw);
    const types = new Set<string>();
    for (const op of doc.operations) {
      const responses = new Map<string, Media[]>();
      for (const [status, r] of Object.entries((op.responses ?? {}) as Record<string, { content?: Record<string, { schema?: unknown }> }>)) {
        const list: Media[] = [];
        for (const [type, entry] of Object.entries(r?.content ?? {})) {
          const essence = type.split(';')[0]!.trim().toLowerCase();
          types.add(essence);
          const json = essence === 'application/json' || essence.endsWith('+json');
          const validate = json && entry?.schema !== undefined
            ? ajv.body.compile(toJsonSchema(entry.schema, { version: doc.version, direction: 'response', strict }))
            : undefined;
          list.push({ essence, json, validate });
        }
        responses.set(status.toUpperCase(), list);
      }
      this.#router.add(op.method, op.pathTemplate, { operation: op, responses });
    }
    this.contentTypes = [...types];
  }

  /** The documented operation a request is for, or undefined (the request is not in the contract). */
  operation(method: string, path: string): OperationContract | undefined {
    if (this.#basePath !== '' && path !== this.#basePath && !path.startsWith(`${this.#basePath}/`)) return undefined;
    const rest = path.slice(this.#basePath.length) || '/';
    const m = this.#router.find(method === 'HEAD' ? 'GET' : method, rest);
    return m.kind === 'found' ? m.value : undefined;
  }

  /** Checks status, content type and (JSON) body of a response to `op`. */
  check(op: OperationContract, status: number, contentType: string | undefined, body: Buffer): ResponseVerdict {
    const declared = op.responses.get(String(status)) ?? op.responses.get(`${String(status)[0]}XX`) ?? op.responses.get('DEFAULT');
    if (declared === undefined) return { ok: false, reason: `undeclared status ${status}` };
    if (declared.length === 0) return body.length === 0 ? { ok: true } : { ok: false, reason: `status ${status} declares no body` };
    const essence = contentType?.split(';')[0]!.trim().toLowerCase();
    const media = declared.find((m) => m.essence === essence) ?? declared.find((m) => essence !== undefined && m.essence === `${essence.split('/')[0]}/*`) ?? declared.find((m) => m.essence === '*/*');
    if (media === undefined) return { ok: false, reason: `undeclared content type ${essence ?? '(none)'} for status ${status}` };
    if (!media.json || media.validate === undefined) return { ok: true };
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      return { ok: false, reason: 'body is not valid JSON' };
    }
    if (!media.validate(value)) {
      const e = media.validate.errors?.[0];
      return { ok: false, reason: `body does not match the schema${e === undefined ? '' : ` (${e.instancePath || '/'} ${e.message ?? ''})`}` };
    }
    return { ok: true };
  }
}
