import { Type, type Static } from '@sinclair/typebox';

/** Config of one API-key security scheme (`kind: api-key`). */
export const ApiKeyProviderSchema = Type.Object({
  kind: Type.Literal('api-key'),
  file: Type.String({ minLength: 1, description: 'Keys file (YAML or JSON), relative to the config file. Written by `portcullis keys`; reloaded when it changes.' }),
  pepper: Type.String({ minLength: 32, description: 'Server secret keying the HMAC-SHA-256 of every key secret. Use ${ENV}; at least 32 characters.' }),
  header: Type.String({ minLength: 1, default: 'X-API-Key', description: 'Request header carrying the key.' }),
  authorizationScheme: Type.Boolean({ default: false, description: 'Also accept `Authorization: ApiKey <key>`.' }),
  allowQuery: Type.Boolean({ default: false, description: 'Accept the key in the query string (api_key, apikey or key). Off by default: URLs end up in logs, histories and Referer headers; when on, the access log redacts them.' }),
  queryParams: Type.Array(Type.String({ minLength: 1 }), { default: ['api_key', 'apikey', 'key'], description: 'Query parameters looked at (to accept with allowQuery, or to refuse without it).' }),
  reloadCheckMs: Type.Integer({ minimum: 0, default: 1000, description: 'How often (at most) the keys file is stat-ed for changes.' }),
  realm: Type.Optional(Type.String({ pattern: '^[\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e]*$', maxLength: 128, description: 'Realm named in the WWW-Authenticate challenge. Default: the authn stage realm.' })),
}, { additionalProperties: false });

export type ApiKeyProviderConfig = Static<typeof ApiKeyProviderSchema>;
