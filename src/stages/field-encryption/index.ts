import type { StageFactory, StageMeta } from '../../pipeline/stage.js';
import { FieldEncryptionSchema, type FieldEncryptionConfig } from './schema.js';
import { createFieldEncryptionStage, FIELD_ENCRYPTION_ORDER } from './stage.js';

export const meta: StageMeta = {
  name: 'field-encryption',
  phases: ['authorize', 'respond'],
  order: FIELD_ENCRYPTION_ORDER,
  status: 'experimental',
  posture: 'Named JSON fields reach the upstream only as JWE (dir + A256GCM, keyring keys with rotation) and are decrypted in responses only for the roles allowed (API3, data at rest).',
};

/** The field-encryption stage factory (`stages.field-encryption`): keys come from the keyring. */
export const fieldEncryption: StageFactory<FieldEncryptionConfig> = {
  meta,
  schema: FieldEncryptionSchema,
  create: (config, deps) => createFieldEncryptionStage(config, deps.keyring),
};
export { FieldEncryptionSchema, type FieldEncryptionConfig } from './schema.js';
export { createFieldEncryptionStage } from './stage.js';
export { encryptField, decryptField, isDirJwe } from './jwe.js';
export { compilePointer, visitPointer } from './pointer.js';
