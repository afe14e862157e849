import { Type, type Static } from '@sinclair/typebox';
import { ModeSchema } from '../../config/common.js';
import { BUILTIN_DETECTOR_NAMES } from '../../data-protection/detectors.js';

const Roles = Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Roles that see these values in clear.' });

/** Sensitive data in responses: detection, masking, removal per field and role, and a bulk-leak guard. */
export const SensitiveDataSchema = Type.Object({
  mode: ModeSchema,
  detectors: Type.Array(Type.Union(BUILTIN_DETECTOR_NAMES.map((n) => Type.Literal(n))), {
    default: ['card', 'iban', 'ssn', 'jwt', 'api-key', 'private-key'],
    description: `Built-in detectors run over every string of the response: ${BUILTIN_DETECTOR_NAMES.join(', ')}. Cards and IBANs are confirmed by their check digits.`,
  }),
  custom: Type.Array(Type.Object({
    name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,40}$' }),
    pattern: Type.String({ minLength: 1, maxLength: 2000, description: 'RE2 syntax: linear time on any input; backreferences and lookarounds are refused at load.' }),
    keepLast: Type.Integer({ minimum: 0, maximum: 8, default: 0 }),
  }, { additionalProperties: false }), { default: [], description: 'Your own detectors.' }),
  style: Type.Union([Type.Literal('partial'), Type.Literal('redact'), Type.Literal('hash')], {
    default: 'partial', description: 'partial: keep the last characters a detector allows (a card\'s last 4); redact: [REDACTED:<detector>]; hash: a short SHA-256 that still joins equal values.',
  }),
  fields: Type.Array(Type.Object({
    property: Type.String({ minLength: 1, description: 'A JSON property name, wherever it appears in the body.' }),
    action: Type.Union([Type.Literal('mask'), Type.Literal('remove')], { default: 'mask', description: 'mask: the whole value replaced whatever it contains; remove: the property dropped.' }),
    roles: Roles,
  }, { additionalProperties: false }), { default: [], description: 'Fields treated as sensitive by name, detected or not.' }),
  exemptRoles: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Roles that receive responses unmasked (e.g. a compliance auditor); their calls still count toward the leak guard.' }),
  leakGuard: Type.Object({
    maxHits: Type.Integer({ minimum: 1, default: 100, description: 'Detected values in one response beyond which it is treated as bulk exfiltration.' }),
    action: Type.Union([Type.Literal('block'), Type.Literal('report')], { default: 'block', description: 'block: 502 PCL_DATA_LEAK_BLOCKED instead of the response; report: a data.leak event only.' }),
  }, { additionalProperties: false, default: {} }),
  maxBodySize: Type.Integer({ minimum: 1024, default: 1_048_576, description: 'Largest response body inspected; a larger one passes unmasked with a data.uninspected event.' }),
}, { additionalProperties: false });

export type SensitiveDataConfig = Static<typeof SensitiveDataSchema>;
