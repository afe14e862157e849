import type { StageFactory, StageMeta } from '../../pipeline/stage.js';
import { UploadsSchema, type UploadsConfig } from './schema.js';
import { createUploadsStage } from './stage.js';

export const meta: StageMeta = {
  name: 'uploads',
  phases: ['inspect'],
  order: 520,
  status: 'experimental',
  posture: 'Checks uploaded files before they reach the API: type by content, allow-lists, sizes and counts, ClamAV malware scan; client file names never forwarded as given.',
};

/** The uploads stage factory (`stages.uploads`). Needs the request body buffered (bounded by limits.maxBodySize), or spooled to disk with `spool`. */
export const uploads: StageFactory<UploadsConfig> = {
  meta,
  schema: UploadsSchema,
  create: (config, deps) => createUploadsStage(config, deps.baseDir),
};
export { UploadsSchema, type UploadsConfig } from './schema.js';
export { createUploadsStage } from './stage.js';
export { clamdPing, parseClamdAddress } from './clamd.js';
