export { createMtlsProvider, certValues, type MtlsProviderOptions } from './provider.js';
export { MtlsProviderSchema, CertRuleSchema, type MtlsProviderConfig, type CertField, type CertRule } from './schema.js';
export { bindingFailure, checkCertificateBinding, verifiedThumbprint } from './binding.js';
export { peerCertificateOf, parseSubjectAltName, describeCertificate } from './peer-certificate.js';
