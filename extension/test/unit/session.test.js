import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PanzaClient } from '../../common/client.js';
import { runDraft } from '../../common/session.js';
import { portFactory, tick } from '../fakes.js';

function setup() {
  const { ports, connect } = portFactory();
  let n = 0;
  const client = new PanzaClient({ connect, lastError: () => undefined, newId: () => `d${++n}`, idleMs: 0 });
  return { client, ports };
}

const PARAMS = { instruction: 'Say yes', mode: /** @type {const} */ ('new'), subject: '', to: [], thread: [] };

test('tokens reach the page in order; the outcome carries the result', async () => {
  const { client, ports } = setup();
  /** @type {string[]} */
  const tokens = [];
  /** @type {string[]} */
  const statuses = [];
  const run = runDraft(client, PARAMS, { onToken: (t) => tokens.push(t), onStatus: (s) => statuses.push(s) });
  const port = ports[0];
  assert.equal(port.posted[0].method, 'draft');
  assert.deepEqual(port.posted[0].params, PARAMS);
  port.say({ id: run.id, event: 'queued', position: 1 });
  port.say({ id: run.id, event: 'progress', stage: 'loading the model', done: 0, total: null });
  for (const t of ['Yes', ', ', 'gladly.']) port.say({ id: run.id, event: 'token', text: t });
  port.say({ id: run.id, ok: true, result: { draft_id: 'd-9', text: 'Yes, gladly.', adapter_version: 3 } });
  assert.deepEqual(await run.done, { ok: true, result: { draft_id: 'd-9', text: 'Yes, gladly.', adapter_version: 3 } });
  assert.equal(tokens.join(''), 'Yes, gladly.');
  assert.deepEqual(statuses, ['Waiting for Panza: 1 request ahead', 'loading the model']);
});

test('not_ready asks for status and shows the training progress', async () => {
  const { client, ports } = setup();
  const run = runDraft(client, PARAMS, { onToken: () => {} });
  ports[0].say({ id: 'd1', ok: false, error: { code: 'not_ready', message: 'no adapter yet' } });
  await tick();
  assert.equal(ports[0].last('status')?.id, 'd2');
  ports[0].say({ id: 'd2', ok: true, result: { jobs: { train: { running: true, stage: 'training', done: 1, total: 4 } } } });
  const outcome = await run.done;
  assert.equal(outcome.ok, false);
  assert.equal(outcome.ok === false && outcome.code, 'not_ready');
  assert.match(outcome.ok === false ? outcome.detail : '', /First training: training 1 of 4 \(25%\)/);
});

test('stop cancels the running draft', async () => {
  const { client, ports } = setup();
  const run = runDraft(client, PARAMS, { onToken: () => {} });
  run.stop();
  assert.deepEqual(ports[0].last('cancel')?.params, { target: run.id });
  ports[0].say({ id: run.id, ok: false, error: { code: 'cancelled', message: 'cancelled' } });
  const outcome = await run.done;
  assert.equal(outcome.ok === false && outcome.title, 'Stopped');
});

test('an empty instruction for a new message never reaches the daemon', async () => {
  const { client, ports } = setup();
  const run = runDraft(client, { ...PARAMS, instruction: '' }, { onToken: () => {} });
  const outcome = await run.done;
  assert.equal(outcome.ok === false && outcome.code, 'bad_request');
  assert.equal(ports.length, 0);
});

test('unavailable: the ping tells a daemon without draft from one that is down', async () => {
  const { client, ports } = setup();
  const run = runDraft(client, PARAMS, { onToken: () => {} });
  ports[0].say({ id: 'd1', ok: false, error: { code: 'unavailable', message: 'no drafting here' } });
  await tick();
  assert.equal(ports[0].last('ping')?.id, 'd2');
  ports[0].say({ id: 'd2', ok: true, result: { pong: true, protocol: 1, methods: ['cancel', 'ping', 'status'] } });
  const outcome = await run.done;
  assert.equal(outcome.ok === false && outcome.title, 'This version of Panza cannot draft yet');

  const again = runDraft(client, PARAMS, { onToken: () => {} });
  ports[0].say({ id: 'd3', ok: false, error: { code: 'unavailable', message: 'Panza is not running (…)' } });
  await tick();
  ports[0].say({ id: 'd4', ok: false, error: { code: 'unavailable', message: 'Panza is not running (…)' } });
  const down = await again.done;
  assert.equal(down.ok === false && down.title, 'Panza is not running');
});
