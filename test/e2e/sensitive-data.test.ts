import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const CARD = '4111111111111111';

describe('sensitive-data: masking, field removal and the bulk-leak guard on real responses', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startUpstream((req, res) => {
      const send = (type: string, body: string) => { res.writeHead(200, { 'content-type': type }); res.end(body); };
      if (req.url === '/bank/accounts') {
        send('application/json', JSON.stringify({ owner: { name: 'Ann', email: 'ann@corp.example', ssn: '123-45-6789' }, cards: [{ number: CARD, note: `backup ${CARD.replace(/(\d{4})/g, '$1 ').trim()}` }], iban: 'GB82 WEST 1234 5698 7654 32', id: 1234567890123 }));
      } else if (req.url === '/bank/dump') {
        send('application/json', JSON.stringify(Array.from({ length: 150 }, (_, i) => ({ id: i, card: CARD }))));
      } else if (req.url === '/bank/debug') {
        send('text/plain', 'config: aws_key=AKIAIOSFODNN7EXAMPLE region=eu-west-1');
      } else {
        send('application/json', '{"ok":true}');
      }
    });
    gw = await startGatewayProcess(writeConfig(`${E2E_PREAMBLE}apis:
  - name: bank
    upstream: ${up.url}
    prefixes: [/bank]
    stages:
      sensitive-data:
        fields:
          - { property: email, action: remove }
        leakGuard:
          maxHits: 100
`).file);
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  test('detected values are masked (cards keep their last 4), a named field is removed, non-sensitive numbers untouched', async () => {
    const res = await fetch(`${gw.url}/bank/accounts`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(text)));
    const body = JSON.parse(text) as { owner: Record<string, string>; cards: { number: string; note: string }[]; iban: string; id: number };
    assert.equal(body.cards[0]!.number, '************1111');
    assert.equal(body.cards[0]!.note, 'backup **** **** **** 1111');
    assert.equal(body.owner['ssn'], '***-**-6789');
    assert.equal('email' in body.owner, false);
    assert.equal(body.iban, '**** **** **** **** **54 32');
    assert.equal(body.id, 1234567890123);
    assert.equal(text.includes(CARD), false);
    const event = await gw.waitForLog((l) => l.msg === 'security event' && l.event === 'data.masked');
    assert.match(String(event.excerpt), /card:2/);
    assert.equal(JSON.stringify(gw.logs).includes(CARD), false, 'no log line carries the card');
  });

  test('attack: bulk exfiltration (150 cards in one response) is withheld: 502 PCL_DATA_LEAK_BLOCKED and a high-severity data.leak event', async () => {
    const res = await fetch(`${gw.url}/bank/dump`);
    assert.equal(res.status, 502);
    const body = await res.json() as { code: string };
    assert.equal(body.code, 'PCL_DATA_LEAK_BLOCKED');
    const event = await gw.waitForLog((l) => l.msg === 'security event' && l.event === 'data.leak');
    assert.equal(event.severity, 'high');
    assert.match(String(event.excerpt), /150 sensitive values/);
  });

  test('text responses are scanned too: a leaked cloud key is redacted', async () => {
    const res = await fetch(`${gw.url}/bank/debug`);
    assert.equal(await res.text(), 'config: aws_key=[REDACTED:api-key] region=eu-west-1');
  });
});
