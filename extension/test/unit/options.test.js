import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PanzaClient } from '../../common/client.js';
import { adapterLine, optionsView, retrainLine, trainingLine } from '../../common/options-view.js';
import { pageRequests } from '../../common/router.js';
import { portFactory, tick } from '../fakes.js';

test('the options page shows the connection, the current adapter and training', () => {
  const view = optionsView(
    { ok: true, result: { pong: true, version: '0.1.0', protocol: 1, methods: ['cancel', 'ping', 'retrain', 'status'] } },
    {
      ok: true,
      result: {
        paused: false,
        emails: { kept: 412 },
        adapter: { version: 3, method: 'rosa', created_at: '2026-03-02T03:00:12Z', email_count: 400 },
        jobs: { train: { running: false, last_error: null } },
      },
    },
  );
  assert.deepEqual(view, {
    state: 'up',
    connection: 'Connected to the Panza daemon (version 0.1.0)',
    adapter: 'v0003, rosa, 400 emails, made 2026-03-02 03:00',
    training: 'Idle',
    emails: '412',
    retrain: true,
  });
});

test('"Retrain now" is offered only when the daemon lists retrain among its methods', () => {
  const lean = { ok: true, result: { pong: true, version: '0.1.0', protocol: 1, methods: ['cancel', 'ping', 'status'] } };
  assert.equal(optionsView(lean, null).retrain, false);
  const unlisted = { ok: true, result: { pong: true, version: '0.0.9' } };
  assert.equal(optionsView(unlisted, null).retrain, true, 'a daemon that does not list its methods is not second-guessed');
  // The daemon's wording is only shown, never interpreted.
  assert.equal(
    retrainLine({ ok: false, code: 'unavailable', message: 'retrain is not available in this daemon' }),
    'Panza is not running. retrain is not available in this daemon',
  );
});

test('a daemon that is down shows why and how to start it', () => {
  const view = optionsView({ ok: false, code: 'unavailable', message: 'Panza is not running (…). Start it with `panza daemon`.' }, null);
  assert.equal(view.state, 'down');
  assert.equal(view.connection, 'Panza is not running (…). Start it with `panza daemon`.');
});

test('adapter, training and retrain lines', () => {
  assert.match(adapterLine(null), /None yet/);
  assert.equal(trainingLine({ running: true, stage: 'training', done: 5, total: 10 }), 'Running: training 5 of 10 (50%)');
  assert.equal(trainingLine({ running: false, last_error: 'out of memory' }), 'Last run failed: out of memory');
  assert.equal(retrainLine({ ok: true, result: { status: 'accepted', version: 4 } }), 'Retrain finished: v0004 accepted');
  assert.equal(retrainLine({ ok: true, result: {} }), 'Retrain started');
  assert.equal(retrainLine({ ok: false, code: 'busy', message: 'train is already running' }), 'Retrain is already running');
});

test("the background relays the options page's calls, and nobody else's", async () => {
  const { ports, connect } = portFactory();
  const client = new PanzaClient({ connect, lastError: () => undefined, newId: () => 'o1', idleMs: 0 });
  const listener = pageRequests(client, 'chrome-extension://keep/');
  /** @type {any[]} */
  const answers = [];
  assert.equal(listener({ panza: 'status' }, { url: 'https://mail.google.com/mail/u/0/' }, () => {}), false);
  assert.equal(listener({ panza: 'draft' }, { url: 'chrome-extension://keep/common/options.html' }, () => {}), false);
  assert.equal(ports.length, 0);
  assert.equal(listener({ panza: 'status' }, { url: 'chrome-extension://keep/common/options.html' }, (a) => answers.push(a)), true);
  ports[0].say({ id: 'o1', ok: true, result: { adapter: null } });
  await tick();
  assert.deepEqual(answers, [{ ok: true, result: { adapter: null } }]);
});
