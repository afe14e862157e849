/**
 * Which OpenAPI Security Scheme Objects each verifier kind can serve. A document that says
 * `type: apiKey` while the config maps that name to a JWT verifier is almost certainly a
 * mistake (the client documentation and the gateway would disagree about the credential), so
 * it is refused at load rather than discovered by clients.
 */
const ACCEPTS: Readonly<Record<string, { readonly describe: string; test(s: Readonly<Record<string, unknown>>): boolean }>> = {
  jwt: { describe: 'http (scheme bearer), oauth2 or openIdConnect', test: (s) => isBearer(s) || s.type === 'oauth2' || s.type === 'openIdConnect' },
  introspection: { describe: 'http (scheme bearer) or oauth2', test: (s) => isBearer(s) || s.type === 'oauth2' },
  'api-key': { describe: 'apiKey', test: (s) => s.type === 'apiKey' },
  mtls: { describe: 'mutualTLS', test: (s) => s.type === 'mutualTLS' },
  // RFC 9421 has no OpenAPI type of its own: documents use `http` with a custom scheme name.
  'http-signature': { describe: 'http with a scheme other than bearer or basic (e.g. signature)', test: (s) => s.type === 'http' && !isBearer(s) && lower(s.scheme) !== 'basic' },
};

function lower(v: unknown): string { return typeof v === 'string' ? v.toLowerCase() : ''; }
function isBearer(s: Readonly<Record<string, unknown>>): boolean { return s.type === 'http' && lower(s.scheme) === 'bearer'; }

/**
 * Why a verifier kind cannot serve a document's security scheme, or undefined when it can
 * (or when there is no document entry to compare with).
 *
 * @example
 * schemeTypeMismatch('jwt', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
 * // 'the OpenAPI security scheme has type apiKey, but kind jwt serves http (scheme bearer), oauth2 or openIdConnect'
 */
export function schemeTypeMismatch(kind: string, securityScheme: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const accepts = ACCEPTS[kind];
  if (securityScheme === undefined || accepts === undefined || accepts.test(securityScheme)) return undefined;
  const type = typeof securityScheme.type === 'string' ? securityScheme.type : 'none';
  const shown = type === 'http' && typeof securityScheme.scheme === 'string' ? `http (scheme ${securityScheme.scheme})` : type;
  return `the OpenAPI security scheme has type ${shown}, but kind ${kind} serves ${accepts.describe}`;
}
