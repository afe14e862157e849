import type { CompiledPlan } from '../pipeline/runner.js';
import { spoolDirIn } from '../server/spool-dir.js';

/** A problem with a plan's spooling, `path` relative to the spooling stage's options. */
export interface SpoolProblem {
  readonly stage: string;
  readonly path: readonly string[];
  readonly message: string;
}

/**
 * What makes a plan's request-body spooling unsafe or pointless, found at load: a directory
 * the gateway cannot make its private directory in (it is made here, so a start with a bad
 * `dir` fails instead of its first large upload), a threshold no body can pass, and a stage
 * that reads the whole body in memory, which a spooled body would not give it (the WAF reads
 * only its first maxInspectBytes: the threshold must cover them).
 *
 * @example
 * for (const p of spoolProblems(plan, 26_214_400)) issues.push(loaded.issueAt([...at, p.stage, ...p.path], p.message));
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
  if (spool.thresholdBytes >= maxBodySize) add(['thresholdBytes'], `${spool.thresholdBytes} is not below the body limit (limits.maxBodySize ${maxBodySize}): no body would be spooled`);
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
