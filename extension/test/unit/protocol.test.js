import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Fragments, idMaker, kind, request } from '../../common/protocol.js';

test('requests carry the protocol version, id, method and params', () => {
  assert.deepEqual(request('a-1', 'draft', { instruction: 'x' }), {
    v: 1, id: 'a-1', method: 'draft', params: { instruction: 'x' },
  });
  assert.deepEqual(request('a-2', 'ping').params, {});
});

test('replies, events and fragments are told apart; anything else is junk', () => {
  assert.equal(kind({ id: 'a', ok: true, result: {} }), 'reply');
  assert.equal(kind({ id: 'a', ok: false, error: { code: 'busy', message: 'm' } }), 'reply');
  assert.equal(kind({ id: 'a', event: 'token', text: 'Hi' }), 'event');
  assert.equal(kind({ id: 'a', event: 'fragment', final: false, data: '{' }), 'fragment');
  for (const junk of [null, 'x', 3, [], { id: 'a' }]) assert.equal(kind(junk), 'junk');
});

test("fragments of one id join into the original message at the final one", () => {
  const original = { id: 'c1', ok: true, result: { text: 'é'.repeat(10), n: 1 } };
  const whole = JSON.stringify(original);
  const cut = [whole.slice(0, 7), whole.slice(7, 20), whole.slice(20)];
  const joiner = new Fragments();
  assert.equal(joiner.push({ id: 'c1', final: false, data: cut[0] }), undefined);
  // Another id's fragments interleave without mixing.
  assert.equal(joiner.push({ id: 'c2', final: false, data: '{"id":' }), undefined);
  assert.equal(joiner.push({ id: 'c1', final: false, data: cut[1] }), undefined);
  assert.deepEqual(joiner.push({ id: 'c1', final: true, data: cut[2] }), original);
  assert.deepEqual(joiner.push({ id: 'c2', final: true, data: '"c2","ok":true,"result":{}}' }), { id: 'c2', ok: true, result: {} });
});

test('request ids are unique and share a per-instance prefix', () => {
  const next = idMaker('tb');
  assert.deepEqual([next(), next(), next()], ['tb-1', 'tb-2', 'tb-3']);
  const a = idMaker();
  const b = idMaker();
  assert.notEqual(a(), b());
});
