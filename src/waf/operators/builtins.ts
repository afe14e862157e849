/**
 * The shipped operators, registered explicitly (STYLE 7).
 */
import { Registry } from '../registry.js';
import type { Operator, OperatorInit } from '../types.js';
import type { Steps } from '../steps.js';
import { rx } from './rx.js';
import { pm } from './pm.js';
import { pmFromFile } from './pm-from-file.js';
import * as str from './string-ops.js';
import * as num from './numeric.js';
import { unconditionalMatch, noMatch } from './constant.js';
import { ipMatch, ipMatchFromFile } from './ip-match.js';
import { validateByteRange, validateUrlEncoding, validateUtf8Encoding } from './validate.js';
import { detectSQLi, detectXSS } from './libinjection.js';
import { geoLookup, rbl } from './external-lookup.js';

/**
 * Builds an operator from its argument at load time. `steps`, where present, builds the same
 * operator with a yield between bounded pieces of work, for a reload's slices (ADR 0039).
 */
export interface OperatorFactory {
  (init: OperatorInit): Operator;
  readonly steps?: (init: OperatorInit) => Steps<Operator>;
}

/** Every operator by name (without `@`). */
export const operators = new Registry<OperatorFactory>('operator');

const stable = { status: 'stable', posture: 'detects; the rule decides what happens' } as const;
const table: Array<[string, OperatorFactory]> = [
  ['rx', rx], ['pm', pm], ['pmFromFile', pmFromFile], ['pmf', pmFromFile],
  ['contains', str.contains], ['containsWord', str.containsWord], ['beginsWith', str.beginsWith],
  ['endsWith', str.endsWith], ['streq', str.streq], ['strmatch', str.strmatch], ['within', str.within],
  ['eq', num.eq], ['ge', num.ge], ['gt', num.gt], ['le', num.le], ['lt', num.lt],
  ['unconditionalMatch', unconditionalMatch], ['noMatch', noMatch],
  ['ipMatch', ipMatch], ['ipMatchFromFile', ipMatchFromFile], ['ipMatchF', ipMatchFromFile],
  ['validateByteRange', validateByteRange], ['validateUrlEncoding', validateUrlEncoding],
  ['validateUtf8Encoding', validateUtf8Encoding],
  ['detectSQLi', detectSQLi], ['detectXSS', detectXSS],
];
for (const [name, f] of table) operators.register(name, f, stable);
const inert = { status: 'experimental', posture: 'no outside lookup is made: never matches, so the rules using it stay inactive' } as const;
operators.register('geoLookup', geoLookup, inert);
operators.register('rbl', rbl, inert);
