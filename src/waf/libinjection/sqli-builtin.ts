/** The detector tables that ship with Portcullis (see sqli-keywords.ts and sqli-fingerprints.ts). */
import type { SqliData } from './sqli-data.js';
import { BUILTIN_FINGERPRINTS } from './sqli-fingerprints.js';
import { builtinKeywords } from './sqli-keywords.js';

export const BUILTIN_SQLI_DATA: SqliData = {
  keywords: builtinKeywords(),
  fingerprints: BUILTIN_FINGERPRINTS,
};
