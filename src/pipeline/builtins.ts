import { anomaly } from '../stages/anomaly/index.js';
import { authn } from '../stages/authn/index.js';
import { bot } from '../stages/bot/index.js';
import { authz } from '../stages/authz/index.js';
import { cors } from '../stages/cors/index.js';
import { lifecycle } from '../stages/lifecycle/index.js';
import { sensitiveData } from '../stages/sensitive-data/index.js';
import { fieldEncryption } from '../stages/field-encryption/index.js';
import { rateLimit } from '../stages/rate-limit/index.js';
import { requestValidation } from '../stages/request-validation/index.js';
import { responseFilter } from '../stages/response-filter/index.js';
import { responseRules } from '../stages/response-rules/index.js';
import { uploads } from '../stages/uploads/index.js';
import { waf } from '../stages/waf/index.js';
import { StageRegistry } from './registry.js';

/**
 * The shipped stages, listed explicitly (no import side effects; the package is
 * `sideEffects: false`). Add a stage here to make it configurable by name.
 *
 * @example
 * const registry = createBuiltinRegistry();
 * registry.get('cors');
 */
export function createBuiltinRegistry(): StageRegistry {
  const registry = new StageRegistry();
  registry.register(cors);
  registry.register(authn);
  registry.register(requestValidation);
  registry.register(responseFilter);
  registry.register(responseRules);
  registry.register(rateLimit);
  registry.register(waf);
  registry.register(bot);
  registry.register(authz);
  registry.register(lifecycle);
  registry.register(sensitiveData);
  registry.register(uploads);
  registry.register(fieldEncryption);
  registry.register(anomaly);
  return registry;
}
