export { EgressSchema, EgressIntegrationSchema, type EgressConfig, type EgressIntegrationConfig } from './schema.js';
export { compileEgress, type CompiledEgress, type CompiledIntegration } from './compile.js';
export { createEgressHandler } from './handler.js';
export { createEgressConnectHandler } from './connect.js';
