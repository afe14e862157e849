import { ConfigError, formatIssue, inspectConfig, type ConfigIssue } from '../config/load.js';
import { sortIssues } from '../config/issues.js';
import { compileRuntime } from '../runtime/compile.js';

/**
 * `portcullis validate -c FILE`: loads and compiles the config (OpenAPI documents,
 * routes, stage configs) without binding anything. Exit 0 when valid, 1 with every error:
 * unresolved `${ENV}` references, schema problems, OpenAPI errors and stage options in one run.
 */
export async function validateCommand(file: string, out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Promise<number> {
  const { loaded, issues: found } = await inspectConfig(file);
  const issues: ConfigIssue[] = [...found];
  let summary: string | undefined;
  if (loaded !== undefined) {
    try {
      const runtime = await compileRuntime(loaded);
      await runtime.close();
      for (const w of runtime.warnings) err.write(`warning: ${formatIssue(w)}\n`);
      summary = `${runtime.apis.length} API${runtime.apis.length === 1 ? '' : 's'}, ${runtime.routes.length} route${runtime.routes.length === 1 ? '' : 's'}`;
    } catch (e) {
      // A path the load already reported (an unresolved ${ENV}) would only be reported again in other words.
      const reported = new Set(found.map((i) => i.path));
      if (e instanceof ConfigError) issues.push(...e.issues.filter((i) => !reported.has(i.path)));
      // Anything else comes from a config the schema already refused: those issues say why.
      else if (issues.length === 0) issues.push({ file, path: '(root)', message: e instanceof Error ? e.message : String(e) });
    }
  }
  if (issues.length > 0) {
    const sorted = sortIssues(issues);
    err.write(`${sorted.map(formatIssue).join('\n')}\n${sorted.length} problem${sorted.length === 1 ? '' : 's'} in ${file}\n`);
    return 1;
  }
  out.write(`${file}: OK (${summary ?? '0 APIs'})\n`);
  return 0;
}

/** The operator-facing text of a load failure: every issue on its own line. */
export function describeLoadError(e: unknown): string {
  if (e instanceof ConfigError) return e.issues.map(formatIssue).join('\n');
  return e instanceof Error ? e.message : String(e);
}
