import type { ProviderDefinition } from '../../provider.js';
import { createIntrospectionProvider } from './provider.js';
import { IntrospectionSchemeSchema, type IntrospectionSchemeConfig } from './schema.js';

/** The `kind: introspection` provider definition (RFC 7662). */
export const introspectionProvider: ProviderDefinition<IntrospectionSchemeConfig> = {
  kind: 'introspection',
  schema: IntrospectionSchemeSchema,
  create: createIntrospectionProvider,
};
export { createIntrospectionProvider, type IntrospectionProvider } from './provider.js';
export { IntrospectionSchemeSchema, type IntrospectionSchemeConfig } from './schema.js';
