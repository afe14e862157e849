/**
 * Description: @pm with phrases read from data files (one per line, `#` comments), resolved beside the rule file.
 * Arguments: one or more file paths separated by spaces.
 * Returns: true when any phrase occurs in the input.
 * Example: `SecRule ARGS "@pmFromFile unix-shell.data" "id:3,deny"`
 */
import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import type { Operator, OperatorInit } from '../types.js';
import { pmFromListSteps } from './pm.js';
import { runSteps, type Steps } from '../steps.js';
import { WafLoadError } from '../rules/errors.js';

/** Reads a SecLang data file into its non-comment lines. @example readDataLines(init) */
export function readDataLines(init: OperatorInit): string[] {
  const out: string[] = [];
  for (const f of init.argument.split(/\s+/).filter((s) => s !== '')) {
    const path = resolve(dirname(init.file), f);
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (e) {
      throw new WafLoadError(`cannot read data file ${f}: ${(e as Error).message}`, init.file, init.line);
    }
    for (const line of text.split(/\r?\n/)) {
      const t = line.trim();
      if (t !== '' && !t.startsWith('#')) out.push(t);
    }
  }
  return out;
}

/**
 * pmFromFile with a yield after reading and between bounded pieces of the automaton (CRS's
 * php-errors.data, ADR 0039).
 *
 * @example const op = runSteps(pmFromFileSteps({ argument: 'words.data', ...init }))
 */
export function* pmFromFileSteps(init: OperatorInit): Steps<Operator> {
  const phrases = readDataLines(init);
  yield;
  return yield* pmFromListSteps(phrases);
}

/** @example pmFromFile({ argument: 'words.data', ...init }) */
export const pmFromFile = Object.assign((init: OperatorInit): Operator => runSteps(pmFromFileSteps(init)), { steps: pmFromFileSteps });
