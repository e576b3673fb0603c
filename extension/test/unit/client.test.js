import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PanzaClient, PanzaError } from '../../common/client.js';
import { portFactory, tick } from '../fakes.js';

/** @param {object} [extra] */
function client(extra = {}) {
  const { ports, connect } = portFactory();
  const c = new PanzaClient({ connect, lastError: () => undefined, newId: counter(), idleMs: 0, extensionId: 'abc', ...extra });
  return { c, ports };
}

function counter() {
  let n = 0;
  return () => `r${++n}`;
}

test('a request opens the port once, and its reply resolves it', async () => {
  const { c, ports } = client();
  const ping = c.call('ping');
  const status = c.call('status');
  assert.equal(ports.length, 1);
  assert.deepEqual(ports[0].posted, [
    { v: 1, id: 'r1', method: 'ping', params: {} },
    { v: 1, id: 'r2', method: 'status', params: {} },
  ]);
  ports[0].say({ id: 'r2', ok: true, result: { adapter: null } });
  ports[0].say({ id: 'r1', ok: true, result: { pong: true } });
  assert.deepEqual(await ping, { pong: true });
  assert.deepEqual(await status, { adapter: null });
});

test('token events stream to the request they belong to, in order', async () => {
  const { c, ports } = client();
  /** @type {any[]} */
  const seen = [];
  /** @type {any[]} */
  const other = [];
  const a = c.start('draft', { instruction: 'a' }, (e) => seen.push(e));
  c.start('draft', { instruction: 'b' }, (e) => other.push(e));
  const port = ports[0];
  port.say({ id: a.id, event: 'queued', position: 1 });
  port.say({ id: a.id, event: 'token', text: 'Dear' });
  port.say({ id: 'r2', event: 'token', text: 'NOT' });
  port.say({ id: a.id, event: 'token', text: ' Bob' });
  port.say({ id: a.id, event: 'progress', stage: 'generating', done: 2, total: 9 });
  port.say({ id: a.id, ok: true, result: { text: 'Dear Bob' } });
  assert.deepEqual(await a.result, { text: 'Dear Bob' });
  assert.deepEqual(seen.map((e) => e.event), ['queued', 'token', 'token', 'progress']);
  assert.equal(seen.filter((e) => e.event === 'token').map((e) => e.text).join(''), 'Dear Bob');
  assert.deepEqual(other.map((e) => e.text), ['NOT']);
});

test('an error reply rejects with its code and message', async () => {
  const { c, ports } = client();
  const r = c.call('draft', { instruction: 'x' });
  ports[0].say({ id: 'r1', ok: false, error: { code: 'not_ready', message: 'no adapter yet' } });
  await assert.rejects(r, (e) => e instanceof PanzaError && e.code === 'not_ready' && e.message === 'no adapter yet');
});

test('a reply too big for one frame arrives as fragments and is rebuilt', async () => {
  const { c, ports } = client();
  const r = c.call('status');
  const whole = JSON.stringify({ id: 'r1', ok: true, result: { big: 'x'.repeat(50) } });
  ports[0].say({ id: 'r1', event: 'fragment', final: false, data: whole.slice(0, 30) });
  ports[0].say({ id: 'r1', event: 'fragment', final: true, data: whole.slice(30) });
  assert.deepEqual(await r, { big: 'x'.repeat(50) });
});

test('cancel sends a cancel request naming the target; the target then gets `cancelled`', async () => {
  const { c, ports } = client();
  const run = c.start('draft', { instruction: 'x' });
  assert.equal(run.cancel(), true);
  assert.deepEqual(ports[0].last('cancel'), { v: 1, id: 'r2', method: 'cancel', params: { target: 'r1' } });
  ports[0].say({ id: 'r2', ok: true, result: { cancelled: true } });
  ports[0].say({ id: 'r1', ok: false, error: { code: 'cancelled', message: 'cancelled' } });
  await assert.rejects(run.result, { code: 'cancelled' });
  assert.equal(run.cancel(), false, 'nothing left to cancel');
});

test('the host going away fails what is in flight with the fix, and the next request reconnects', async () => {
  const { c, ports } = client();
  const r = c.call('draft', { instruction: 'x' });
  ports[0].drop('Specified native messaging host not found.');
  await assert.rejects(r, (/** @type {PanzaError} */ e) => e.code === 'unavailable' && /panza install/.test(e.message));
  const again = c.call('ping');
  assert.equal(ports.length, 2, 'a fresh port');
  ports[1].say({ id: 'r2', ok: true, result: { pong: true } });
  assert.deepEqual(await again, { pong: true });
});

test('a forbidden host names this extension id in the fix', async () => {
  const { c, ports } = client();
  const r = c.call('ping');
  ports[0].drop('Access to the specified native messaging host is forbidden.');
  await assert.rejects(r, (/** @type {PanzaError} */ e) => /--allow-id abc/.test(e.message));
});

test("Chrome's reason comes from runtime.lastError", async () => {
  /** @type {string|undefined} */
  let reason;
  const { c, ports } = client({ lastError: () => reason });
  const r = c.call('ping');
  reason = 'Native host has exited.';
  ports[0].onDisconnect.emit(ports[0]);
  await assert.rejects(r, (/** @type {PanzaError} */ e) => /closed unexpectedly/.test(e.message) && /Native host has exited/.test(e.message));
});

test('the host refusing the caller (reply with id null, then exit) fails the request with its words', async () => {
  const { c, ports } = client();
  const a = c.call('ping');
  const b = c.call('status');
  ports[0].say({ id: null, ok: false, error: { code: 'bad_request', message: 'caller not allowed: x' } });
  ports[0].drop('Native host has exited.');
  await assert.rejects(a, { code: 'bad_request', message: 'caller not allowed: x' });
  await assert.rejects(b, { code: 'bad_request' });
});

test('an unreadable frame (reply with id null) with one request in flight fails that request', async () => {
  const { c, ports } = client();
  const a = c.call('draft', { instruction: 'x' });
  ports[0].say({ id: null, ok: false, error: { code: 'too_large', message: 'message is 2000000 bytes' } });
  await assert.rejects(a, { code: 'too_large' });
});

test('a port that died under us is replaced before the request is lost', async () => {
  const { c, ports } = client();
  const earlier = c.call('ping');
  ports[0].throwOnPost = new Error('Attempting to use a disconnected port object');
  const r = c.call('status');
  assert.equal(ports.length, 2);
  assert.equal(ports[1].posted[0].method, 'status');
  // What was in flight on the dead port fails rather than waiting forever.
  await assert.rejects(earlier, (/** @type {PanzaError} */ e) => e.code === 'unavailable' && /disconnected port/.test(e.message));
  ports[1].say({ id: 'r2', ok: true, result: 'fine' });
  assert.equal(await r, 'fine');
});

test('when no port can be opened at all, the request fails with the reason', async () => {
  const c = new PanzaClient({
    connect: () => {
      throw new Error('Specified native messaging host not found.');
    },
    lastError: () => undefined,
    idleMs: 0,
  });
  await assert.rejects(c.call('ping'), (/** @type {PanzaError} */ e) => e.code === 'unavailable' && /panza install/.test(e.message));
  assert.equal(c.pending.size, 0);
});

test('the port closes after a quiet spell and reopens on demand', async () => {
  const { c, ports } = client({ idleMs: 20 });
  const r = c.call('ping');
  ports[0].say({ id: 'r1', ok: true, result: {} });
  await r;
  assert.equal(ports[0].disconnected, false);
  await tick(40);
  assert.equal(ports[0].disconnected, true);
  c.call('ping');
  assert.equal(ports.length, 2);
});

test('events and replies for unknown ids are ignored', async () => {
  const { c, ports } = client();
  const r = c.call('ping');
  ports[0].say({ id: 'zz', event: 'token', text: 'x' });
  ports[0].say({ id: 'zz', ok: true, result: {} });
  ports[0].say({ nonsense: true });
  ports[0].say({ id: 'r1', ok: true, result: 1 });
  assert.equal(await r, 1);
});
