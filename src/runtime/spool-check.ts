import type { CompiledPlan } from '../pipeline/runner.js';
import { spoolDirIn } from '../server/spool-dir.js';

/** A problem with a plan's spooling, `path` relative to the spooling stage's options. */
export interface SpoolProblem {
  readonly stage: string;
  readonly path: readonly string[];
  readonly message: string;
  /** A warning does not stop the load (spooling that never happens is harmless). */
  readonly warning?: true;
}

/**
 * What makes a plan's request-body spooling unsafe or pointless, found at load: a directory
 * the gateway cannot make its private directory in (it is made here, so a start with a bad
 * `dir` fails instead of its first large upload), a stage
 * that reads the whole body in memory, which a spooled body would not give it (the WAF reads
 * only its first maxInspectBytes: the threshold must cover them). A threshold no body can pass
 * (at or above the operation's maxBodySize, e.g. inherited by a small operation) is a warning.
 *
 * @example
 * for (const p of spoolProblems(plan, 26_214_400)) (p.warning ? warnings : issues).push(loaded.issueAt([...at, p.stage, ...p.path], p.message));
 */
export function spoolProblems(plan: CompiledPlan, maxBodySize: number): SpoolProblem[] {
  const spool = plan.spool;
  if (spool === undefined) return [];
  const owner = plan.stages.find((s) => s.spoolRequestBody === spool)!.name;
  const out: SpoolProblem[] = [];
  const add = (path: string[], message: string) => out.push({ stage: owner, path: ['spool', ...path], message });
  try {
    spoolDirIn(spool.dir);
  } catch (err) {
    add(['dir'], `cannot make a private spool directory in ${spool.dir}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (spool.thresholdBytes >= maxBodySize) out.push({ stage: owner, path: ['spool', 'thresholdBytes'], message: `${spool.thresholdBytes} is not below the body limit (limits.maxBodySize ${maxBodySize}): no body is spooled`, warning: true });
  for (const s of plan.stages) {
    if (s.spoolRequestBody === spool || s.needsRequestBody !== true) continue;
    if (s.spooledBodyPrefix === undefined) {
      add([], `stage ${s.name} reads the whole request body in memory, which a spooled body does not give it: spool on operations without ${s.name}, or leave spooling off`);
    } else if (s.spooledBodyPrefix > spool.thresholdBytes) {
      add(['thresholdBytes'], `stage ${s.name} reads the first ${s.spooledBodyPrefix} bytes of a body: the threshold must be at least that`);
    }
  }
  return out;
}
