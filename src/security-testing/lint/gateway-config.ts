import { resolve } from 'node:path';
import type { LoadedConfig } from '../../config/load.js';
import type { ConfigPath } from '../../config/path.js';
import type { ApiConfig } from '../../config/schema.js';
import type { OperationInfo } from '../../openapi/types.js';
import type { SourceLocation } from '../common/finding.js';
import { renderPath } from '../../config/path.js';

type StageConfigs = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** The stage configs that apply to one operation and where the deciding block is written. */
export interface EffectiveStages {
  readonly stages: StageConfigs;
  /** Config path of each stage's block (operation override when one sets it, else the API's). */
  readonly at: Readonly<Record<string, ConfigPath>>;
}

/** The part of a gateway config that fronts the linted document. */
export interface GatewayView {
  readonly loaded: LoadedConfig;
  readonly api: ApiConfig;
  readonly apiPath: ConfigPath;
  /** The stages for an operation: the API's, merged with the overrides naming its tags, then its operationId (as the runtime does). */
  stagesFor(op: OperationInfo): EffectiveStages;
  locate(path: ConfigPath): SourceLocation;
}

/**
 * Finds the API of `loaded` whose `openapi` is `documentFile` (or the only API) and returns a view
 * of it, or a message saying why none fits.
 *
 * @example
 * const view = gatewayView(await loadConfig('portcullis.yaml'), 'openapi.yaml');
 * if (typeof view !== 'string') view.stagesFor(op).stages['rate-limit'];
 */
export function gatewayView(loaded: LoadedConfig, documentFile: string): GatewayView | string {
  const target = resolve(documentFile);
  const apis = loaded.config.apis;
  let index = apis.findIndex((a) => a.openapi !== undefined && resolve(loaded.baseDir, a.openapi) === target);
  if (index < 0) {
    const withDocs = apis.filter((a) => a.openapi !== undefined);
    if (apis.length !== 1 && withDocs.length !== 1) {
      return `${loaded.displayFile}: no API has openapi: ${documentFile} (APIs: ${apis.map((a) => a.name).join(', ')})`;
    }
    index = apis.length === 1 ? 0 : apis.indexOf(withDocs[0]!);
  }
  const api = apis[index]!;
  const apiPath: ConfigPath = ['apis', index];
  return Object.freeze({
    loaded,
    api,
    apiPath,
    stagesFor(op: OperationInfo): EffectiveStages {
      const stages: Record<string, Readonly<Record<string, unknown>>> = { ...(api.stages ?? {}) };
      const at: Record<string, ConfigPath> = Object.fromEntries(Object.keys(stages).map((k) => [k, [...apiPath, 'stages', k]]));
      const overrides = api.operations ?? {};
      const keys = [...op.tags.map((t) => `tag:${t}`), ...(op.operationId !== undefined ? [op.operationId] : [])];
      for (const key of keys) {
        const o = overrides[key]?.stages;
        if (o === undefined) continue;
        for (const [name, cfg] of Object.entries(o)) {
          stages[name] = { ...(stages[name] ?? {}), ...cfg };
          at[name] = [...apiPath, 'operations', key, 'stages', name];
        }
      }
      return { stages, at };
    },
    locate(path: ConfigPath): SourceLocation {
      let at = loaded.locate(path);
      for (let len = path.length - 1; at === undefined && len >= 0; len--) at = loaded.locate(path.slice(0, len));
      return { file: loaded.displayFile, line: at?.line, column: at?.column, path: renderPath(path) };
    },
  });
}
