import { ConfigError, formatIssue, loadConfig } from '../config/load.js';
import { compileRuntime } from '../runtime/compile.js';

/**
 * `portcullis validate -c FILE`: loads and compiles the config (OpenAPI documents,
 * routes, stage configs) without binding anything. Exit 0 when valid, 1 with every error.
 */
export async function validateCommand(file: string, out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Promise<number> {
  try {
    const runtime = await compileRuntime(await loadConfig(file));
    await runtime.close();
    for (const w of runtime.warnings) err.write(`warning: ${formatIssue(w)}\n`);
    out.write(`${file}: OK (${runtime.apis.length} API${runtime.apis.length === 1 ? '' : 's'}, ${runtime.routes.length} route${runtime.routes.length === 1 ? '' : 's'})\n`);
    return 0;
  } catch (e) {
    err.write(`${describeLoadError(e)}\n`);
    return 1;
  }
}

/** The operator-facing text of a load failure: every issue on its own line. */
export function describeLoadError(e: unknown): string {
  if (e instanceof ConfigError) return e.issues.map(formatIssue).join('\n');
  return e instanceof Error ? e.message : String(e);
}
