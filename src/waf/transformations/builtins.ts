/**
 * The shipped transformations, registered explicitly (STYLE 7). Both British and
 * American spellings of the path normalisers are accepted, as CRS uses both.
 */
import { Registry } from '../registry.js';
import type { Transformation } from '../types.js';
import * as simple from './simple.js';
import * as hash from './hash.js';
import * as url from './url.js';
import * as decode from './decode.js';
import * as text from './text.js';

/** Every transformation by name. */
export const transformations = new Registry<Transformation>('transformation');

const stable = { status: 'stable', posture: 'normalises input before matching; never rejects' } as const;
const table: Array<[string, Transformation]> = [
  ['none', simple.none], ['lowercase', simple.lowercase], ['uppercase', simple.uppercase],
  ['compressWhitespace', simple.compressWhitespace], ['removeWhitespace', simple.removeWhitespace],
  ['removeNulls', simple.removeNulls], ['replaceNulls', simple.replaceNulls],
  ['trim', simple.trim], ['trimLeft', simple.trimLeft], ['trimRight', simple.trimRight],
  ['length', simple.length], ['hexEncode', simple.hexEncode], ['hexDecode', simple.hexDecode],
  ['sha1', hash.sha1], ['md5', hash.md5], ['base64Decode', hash.base64Decode], ['base64DecodeExt', hash.base64DecodeExt],
  ['base64Encode', hash.base64Encode],
  ['urlDecode', url.urlDecode], ['urlDecodeUni', url.urlDecodeUni], ['urlEncode', url.urlEncode], ['utf8toUnicode', url.utf8toUnicode],
  ['htmlEntityDecode', decode.htmlEntityDecode], ['jsDecode', decode.jsDecode], ['cssDecode', decode.cssDecode],
  ['escapeSeqDecode', decode.escapeSeqDecode],
  ['replaceComments', text.replaceComments], ['removeComments', text.removeComments], ['removeCommentsChar', text.removeCommentsChar],
  ['cmdLine', text.cmdLine], ['normalisePath', text.normalisePath], ['normalizePath', text.normalisePath],
  ['normalisePathWin', text.normalisePathWin], ['normalizePathWin', text.normalisePathWin],
];
for (const [name, fn] of table) transformations.register(name, fn, stable);
