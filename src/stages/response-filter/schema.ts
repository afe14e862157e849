import { Type, type Static } from '@sinclair/typebox';
import { ModeSchema } from '../../config/common.js';

/**
 * Response validation and filtering of one API or operation against the responses its
 * OpenAPI operation declares (excessive data exposure).
 */
export const ResponseFilterSchema = Type.Object({
  mode: ModeSchema,
  action: Type.Union([Type.Literal('report'), Type.Literal('filter'), Type.Literal('block')], {
    default: 'filter',
    description: 'report: record violations, change nothing. filter: remove undeclared, writeOnly and role-hidden properties; an undeclared status or content type is blocked. block: any violation replaces the response with 502 PCL_RESPONSE_CONTRACT_VIOLATION (role-hidden properties are still removed). In monitor mode the stage only reports.',
  }),
  maxBodySize: Type.Integer({ minimum: 1, default: 1_048_576, description: 'Largest response body buffered for checking. The gateway must not buffer more (see oversize).' }),
  oversize: Type.Union([Type.Literal('block'), Type.Literal('report')], { default: 'block', description: 'What to do with a response body larger than maxBodySize (it was not buffered, so it cannot be filtered).' }),
  visibleTo: Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 })), { default: {}, description: 'Role-based visibility from config: property name → roles allowed to see it, applied to properties of that name anywhere in the response (declared or not). [] hides it from everyone. Combines with the schema extension.' }),
  visibilityExtension: Type.String({ default: 'x-portcullis-visible-to', description: 'Schema extension listing the roles allowed to see a property; principals without one of them never receive it.' }),
}, { additionalProperties: false });

export type ResponseFilterConfig = Static<typeof ResponseFilterSchema>;
