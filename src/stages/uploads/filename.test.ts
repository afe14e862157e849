import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replacementFilename, sanitizeFilename } from './filename.js';

test('a client name loses its path, odd characters, leading dots and device meaning', () => {
  assert.equal(sanitizeFilename('../../etc/passwd'), 'passwd');
  assert.equal(sanitizeFilename('..\\..\\windows\\win.ini'), 'win.ini');
  assert.equal(sanitizeFilename('.htaccess'), 'htaccess');
  assert.equal(sanitizeFilename('a\u0000b;rm -rf $(x).png'), 'a_b_rm_-rf_x_.png');
  assert.equal(sanitizeFilename('<script>.svg'), 'script_.svg');
  assert.equal(sanitizeFilename('CON.txt'), 'file-CON.txt');
  assert.equal(sanitizeFilename('..'), 'upload');
  assert.equal(sanitizeFilename('x.'), 'x');
  const long = sanitizeFilename(`${'a'.repeat(300)}.pdf`);
  assert.equal(long.length, 100);
  assert.ok(long.endsWith('.pdf'));
});

test('a replacement name comes from the content alone', () => {
  assert.equal(replacementFilename('0123456789abcdef0123', 'png'), 'upload-0123456789abcdef.png');
});
