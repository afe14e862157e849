export { Router, type RouteMatch } from './router.js';
export { normalizePath, type NormalizedTarget } from './normalize.js';
export { parseTemplate, parsePrefix, type ParsedTemplate, type TemplateSegment, type StaticSegment, type TemplatedSegment } from './template.js';
export { canonicalLiteral } from './percent.js';
