export { createStepUpCheck, totpUsedKey, STEP_UP_SCHEME, type StepUpCheck, type StepUpOptions } from './step-up.js';
export { StepUpSchema, TotpSecretsFileSchema, type StepUpConfig, type TotpSecretsFile } from './schema.js';
export { parseSecretsFile, readSecretsFile, writeSecretsFile } from './secrets-file.js';
export { enrolTotp, unenrolTotp, type EnrolmentRefusal } from './enroll.js';
