import { Type, type Static } from '@sinclair/typebox';
import { ModeSchema } from '../../config/common.js';

/** An ISO 8601 date (`2027-01-31`, midnight UTC) or date-time with a zone (`2027-01-31T12:00:00Z`). */
export const INSTANT_PATTERN = '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2}))?$';
const Instant = (description: string) => Type.String({ pattern: INSTANT_PATTERN, description });

/**
 * Lifecycle of an API version or operation: deprecation (RFC 9745), sunset (RFC 8594) and
 * retirement. Set at API level to cover a whole version, per operation for one operation.
 */
export const LifecycleSchema = Type.Object({
  mode: ModeSchema,
  deprecatedAt: Type.Optional(Instant('When the API/operation was (or will be) deprecated: sent as `Deprecation: @<epoch seconds>` (RFC 9745). An operation marked `deprecated: true` in the OpenAPI document may give its own date as `x-deprecated-at`.')),
  sunsetAt: Type.Optional(Instant('When it stops being served: sent as `Sunset: <HTTP-date>` (RFC 8594); after it (plus graceSeconds) requests get 410 PCL_GONE. An operation may give its own as `x-sunset`.')),
  graceSeconds: Type.Integer({ minimum: 0, default: 0, description: 'How long after sunsetAt the API/operation is still served (with its headers) before 410.' }),
  link: Type.Optional(Type.String({ format: 'uri', description: 'Documentation of the deprecation: `Link: <url>; rel="deprecation"`.' })),
  sunsetLink: Type.Optional(Type.String({ format: 'uri', description: 'Documentation of the sunset policy: `Link: <url>; rel="sunset"`.' })),
}, { additionalProperties: false });

export type LifecycleConfig = Static<typeof LifecycleSchema>;
