export { loadOpenApi } from './load.js';
export { pointer } from './pointer.js';
export { OPERATION_METHODS, type OpenApiDocument, type OperationInfo, type ParameterObject, type ParameterLocation } from './types.js';
