/**
 * An OpenAPI 3.1 document served under `/v1` whose operations all need a bearer token
 * (`bearerAuth`) unless they say `security: []`. `paths` is the YAML under `paths:`, indented
 * two spaces, as the tests write it.
 *
 * @example
 * bearerOpenApi('books', "  /books:\n    get: { operationId: listBooks, responses: { '200': { description: ok } } }\n");
 */
export function bearerOpenApi(title: string, paths: string): string {
  return `openapi: 3.1.0
info: { title: ${title}, version: 1.0.0 }
servers: [{ url: /v1 }]
components: { securitySchemes: { bearerAuth: { type: http, scheme: bearer } } }
security: [{ bearerAuth: [] }]
paths:
${paths}`;
}
