import { Type, type Static } from '@sinclair/typebox';
import { ModeSchema } from '../../config/common.js';

/** CORS policy of one API. Preflights are answered by the gateway; upstream CORS headers are replaced. */
export const CorsSchema = Type.Object({
  mode: ModeSchema,
  allowOrigins: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Exact origins allowed (scheme://host[:port]). An origin is never reflected unless listed. "*" allows any origin without credentials.' }),
  allowMethods: Type.Array(Type.String(), { default: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] }),
  allowHeaders: Type.Array(Type.String(), { default: ['authorization', 'content-type'] }),
  exposeHeaders: Type.Array(Type.String(), { default: [] }),
  allowCredentials: Type.Boolean({ default: false }),
  maxAgeSeconds: Type.Integer({ minimum: 0, default: 600 }),
}, { additionalProperties: false });

export type CorsConfig = Static<typeof CorsSchema>;
