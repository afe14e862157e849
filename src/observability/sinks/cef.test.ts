import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSyslogCef } from '../../../test/helpers/siem.js';
import type { SecurityEventMessage } from '../channels.js';
import { cefHeader, cefValue, toCef } from './cef.js';
import { octetFrame, rfc5424 } from './rfc5424.js';

const event: SecurityEventMessage = {
  kind: 'waf.block', reason: 'sqli|union', requestId: 'req-1', api: 'books', operationId: 'getBook', client: '203.0.113.9',
  principal: 'alice=admin\\x', severity: 'high', stage: 'waf', ruleIds: ['942100', '942190'], excerpt: "id=1' UNION SELECT\npassword", enforced: true,
  time: '2026-03-01T12:00:00.123Z',
};
const product = { vendor: 'Portcullis', product: 'gateway', version: '1.2.3' };

test('CEF header fields escape backslash and pipe and lose line breaks', () => {
  assert.equal(cefHeader('a|b\\c'), 'a\\|b\\\\c');
  assert.equal(cefHeader('x\r\ny'), 'x y');
});

test('CEF extension values escape backslash, equals and line breaks; pipes stay', () => {
  assert.equal(cefValue('a=b\\c|d\ne\rf'), 'a\\=b\\\\c|d\\ne\\rf');
});

test('attack: values with separators cannot forge extra CEF fields or header columns', () => {
  const line = toCef(event, product);
  assert.equal(line.split('\n').length, 1);
  const parsed = parseSyslogCef(`<82>1 ${event.time} h portcullis 1 waf.block - ${line}`).cef;
  assert.equal(parsed.name, 'waf.block sqli|union');
  assert.equal(parsed.severity, '9');
  assert.equal(parsed.ext['suser'], 'alice=admin\\x');
  assert.equal(parsed.ext['msg'], "id=1' UNION SELECT\npassword");
  assert.equal(parsed.ext['src'], '203.0.113.9');
  assert.equal(parsed.ext['cs4'], '942100,942190');
  assert.equal(parsed.ext['act'], 'blocked');
  assert.equal(parsed.ext['rt'], String(Date.parse(event.time)));
  assert.equal(Object.keys(parsed.ext).filter((k) => k === 'password').length, 0);
});

test('labels are only present with their values, and a client that is not an address is left out', () => {
  const line = toCef({ ...event, operationId: undefined, ruleIds: [], client: 'not an ip', excerpt: undefined, stage: undefined, scheme: undefined }, product);
  assert.doesNotMatch(line, /cs2Label|cs4Label|cs5Label|cs6Label|src=|msg=/);
  assert.match(line, /cs1Label=api cs1=books/);
});

test('RFC 5424 header: PRI from facility and severity, kind as MSGID, octet framing counts bytes', () => {
  const msg = rfc5424(event, 'CEF:0|x', { facility: 10, hostname: 'gw 1', appName: 'portcullis', procId: '42' });
  assert.equal(msg, '<82>1 2026-03-01T12:00:00.123Z gw_1 portcullis 42 waf.block - CEF:0|x');
  assert.equal(octetFrame('é'), '2 é');
});

test('request fields reach CEF: method, path, status and code; a summary carries its count as cnt', () => {
  const line = toCef({ ...event, method: 'POST', path: '/v1/books?q=x', status: 403, code: 'PCL_WAF_BLOCKED', suppressed: 42 }, product);
  const parsed = parseSyslogCef(`<82>1 ${event.time} h portcullis 1 waf.block - ${line}`).cef;
  assert.equal(parsed.ext['requestMethod'], 'POST');
  assert.equal(parsed.ext['request'], '/v1/books?q=x');
  assert.equal(parsed.ext['cn1Label'], 'httpStatus');
  assert.equal(parsed.ext['cn1'], '403');
  assert.equal(parsed.ext['flexString1'], 'PCL_WAF_BLOCKED');
  assert.equal(parsed.ext['cnt'], '42');
  assert.doesNotMatch(toCef(event, product), /requestMethod|cn1Label|flexString1Label|cnt=/);
});
