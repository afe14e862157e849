import { loadConfig } from '../config/load.js';
import { compileRuntime } from '../runtime/compile.js';

/**
 * `portcullis routes -c FILE`: a table of every route, its operation and its stages in
 * the order they run.
 */
export async function routesCommand(file: string, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const runtime = await compileRuntime(await loadConfig(file));
  await runtime.close();
  const rows = runtime.routes.map((r) => [
    r.operation?.method ?? '*',
    r.operation === undefined ? `${r.template}/**` : r.template,
    r.api.name,
    r.label,
    String(r.maxBodySize),
    r.plan.stages.map((s) => (s.mode === 'enforce' ? s.name : `${s.name}(${s.mode})`)).join(', ') || '-',
  ]);
  const header = ['METHOD', 'PATH', 'API', 'OPERATION', 'MAX BODY', 'STAGES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  out.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
  return 0;
}
