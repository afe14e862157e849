// The local issuer lives with the multi-tenant example, which uses it as its stand-in IdP.
export { localIssuer, type LocalIssuer } from '../../examples/multi-tenant/tokens.js';
