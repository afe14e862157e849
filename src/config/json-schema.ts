import { ConfigSchema } from './schema.js';

/** Stable identifier of the published config schema. */
export const CONFIG_SCHEMA_ID = 'https://portcullis.dev/schema/config.json';

function forEditors(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(forEditors);
  if (node === null || typeof node !== 'object') return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, forEditors(v)]));
  // The loader fills defaults before checking `required`; an editor does not, so a key with a default is optional to it.
  if (Array.isArray(out.required) && out.properties !== null && typeof out.properties === 'object') {
    const properties = out.properties as Record<string, { default?: unknown }>;
    out.required = (out.required as string[]).filter((name) => properties[name]?.default === undefined);
    if ((out.required as string[]).length === 0) delete out.required;
  }
  // Editors do not know the custom `http-url` format; `uri` plus a scheme pattern is the closest they check.
  if (out.format === 'http-url') {
    out.format = 'uri';
    out.pattern = '^[Hh][Tt][Tt][Pp][Ss]?://';
  }
  return out;
}

/**
 * The JSON Schema (draft-07) of the config file, for editors and `portcullis schema`.
 * A fresh copy on every call: plain JSON, no TypeBox symbols.
 *
 * @example
 * writeFileSync('portcullis.schema.json', JSON.stringify(configJsonSchema(), null, 2));
 */
export function configJsonSchema(): Record<string, unknown> {
  const body = forEditors(JSON.parse(JSON.stringify(ConfigSchema))) as Record<string, unknown>;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: CONFIG_SCHEMA_ID,
    title: 'Portcullis configuration',
    ...body,
  };
}
