import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MalformedMultipart, MultipartParser, type PartHead } from './multipart.js';

const B = 'XyZ';

function parse(body: Buffer, chunkSize = body.length): { heads: PartHead[]; data: Buffer[] } {
  const heads: PartHead[] = [];
  const data: Buffer[][] = [];
  const p = new MultipartParser(B, {
    part: (h) => { heads.push(h); data.push([]); },
    data: (c) => { data.at(-1)!.push(Buffer.from(c)); },
    partEnd: () => {},
  });
  for (let i = 0; i < body.length; i += chunkSize) p.write(body.subarray(i, i + chunkSize));
  p.end();
  return { heads, data: data.map((d) => Buffer.concat(d)) };
}

const body = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1');
const GOOD = body(`--XyZ\nContent-Disposition: form-data; name="a"\n\nhello\n--XyZ\nContent-Disposition: form-data; name="f"; filename="x.png"\nContent-Type: image/png\n\n\u0089PNG\n--Xy!\n--XyZ--\n`);

test('parts, names and contents are the same whatever the chunking (delimiters split across chunks)', () => {
  const whole = parse(GOOD);
  assert.equal(whole.heads.length, 2);
  assert.equal(whole.heads[1]!.filename, 'x.png');
  assert.equal(whole.heads[1]!.contentType, 'image/png');
  assert.equal(whole.data[0]!.toString(), 'hello');
  // A near-delimiter inside the content stays content.
  assert.equal(whole.data[1]!.toString('latin1'), '\u0089PNG\r\n--Xy!');
  for (const size of [1, 2, 3, 7]) assert.deepEqual(parse(GOOD, size).data, whole.data, `chunks of ${size}`);
  // The offsets frame exactly the header lines.
  const h = whole.heads[1]!;
  assert.equal(GOOD.subarray(h.headerStart, h.headerEnd).toString(), 'Content-Disposition: form-data; name="f"; filename="x.png"\r\nContent-Type: image/png');
});

test('filename* (RFC 8187) wins over filename', () => {
  const { heads } = parse(body(`--XyZ\nContent-Disposition: form-data; name="f"; filename="a.txt"; filename*=UTF-8''%E2%82%AC.pdf\n\nx\n--XyZ--`));
  assert.equal(heads[0]!.filename, '€.pdf');
});

const refused: Record<string, string> = {
  'a preamble': `junk\n--XyZ\nContent-Disposition: form-data; name="a"\n\nx\n--XyZ--`,
  'a base64 part': `--XyZ\nContent-Disposition: form-data; name="a"; filename="a"\nContent-Transfer-Encoding: base64\n\neA==\n--XyZ--`,
  'two dispositions': `--XyZ\nContent-Disposition: form-data; name="a"\nContent-Disposition: form-data; name="b"; filename="e.exe"\n\nx\n--XyZ--`,
  'a repeated parameter': `--XyZ\nContent-Disposition: form-data; name="a"; filename="a.png"; filename="e.exe"\n\nx\n--XyZ--`,
  'a file name hidden in a quoted field name': `--XyZ\nContent-Disposition: form-data; name="a; filename=e.exe"\n\nx\n--XyZ--`,
  'a folded header': `--XyZ\nContent-Disposition: form-data;\n name="a"\n\nx\n--XyZ--`,
  'data after the close': `--XyZ\nContent-Disposition: form-data; name="a"\n\nx\n--XyZ--\n--XyZ\n`,
  'no closing delimiter': `--XyZ\nContent-Disposition: form-data; name="a"\n\nx`,
  'padding after a delimiter': `--XyZ  \nContent-Disposition: form-data; name="a"\n\nx\n--XyZ--`,
  'a delimiter inside a part (followed by neither CRLF nor --)': `--XyZ\nContent-Disposition: form-data; name="a"\n\nx\n--XyZ-\n--XyZ--`,
  'a part without headers': `--XyZ\n\nx\n--XyZ--`,
};
for (const [what, text] of Object.entries(refused)) {
  test(`refused as malformed: ${what}`, () => {
    assert.throws(() => parse(body(text)), MalformedMultipart);
  });
}
