import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PanzaClient } from '../../common/client.js';
import { Drafts } from '../../thunderbird/drafts.js';
import { domWith } from '../dom.js';
import { fakeMessenger } from '../fake-messenger.js';
import { portFactory, tick } from '../fakes.js';

domWith();

/** @param {string} details */
function setup(details) {
  const api = fakeMessenger({ details, inlineParts: true });
  const { ports, connect } = portFactory();
  let n = 0;
  const client = new PanzaClient({ connect, lastError: () => undefined, newId: () => `t${++n}`, idleMs: 0 });
  const drafts = new Drafts(api, client, { intervalMs: 5 });
  /** @type {import('../../thunderbird/drafts.js').TabState[]} */
  const seen = [];
  drafts.watch(7, (s) => seen.push(s));
  return { api, ports, drafts, seen };
}

/** Wait until the draft request is out (reading the message is async). @param {any[]} ports */
async function draftRequest(ports) {
  for (let i = 0; i < 50 && !ports[0]?.last('draft'); i += 1) await tick(2);
  return ports[0].last('draft');
}

test('an empty instruction in a reply drafts the reply, streamed in above the quote', async () => {
  const { api, ports, drafts, seen } = setup('compose-reply-html.json');
  const done = drafts.start(7, '');
  const req = await draftRequest(ports);
  assert.equal(req.params.mode, 'reply');
  assert.equal(req.params.instruction, '');
  assert.equal(req.params.thread[0].from, 'Bob Stone <bob.stone@example.org>');
  for (const text of ['Hi Bob,', '\n\n', '7pm is perfect.']) ports[0].say({ id: req.id, event: 'token', text });
  await tick(20);
  assert.match(api.details.body, /<div class="panza-draft">Hi Bob,<br><br>7pm is perfect\.<br><\/div>/);
  ports[0].say({ id: req.id, ok: true, result: { text: 'Hi Bob,\n\n7pm is perfect.', adapter_version: 5, draft_id: 'x' } });
  await done;
  const doc = new DOMParser().parseFromString(api.details.body, 'text/html');
  assert.equal(doc.querySelector('.panza-draft'), null, 'wrapper gone at the end');
  assert.equal(doc.body.firstChild?.nodeValue, 'Hi Bob,');
  assert.ok(doc.querySelector('.moz-cite-prefix') && doc.querySelector('blockquote[type="cite"]') && doc.querySelector('.moz-signature'));
  assert.ok(api.sets.length >= 2 && api.sets.every((s) => typeof s.body === 'string' && !('plainTextBody' in s)));
  assert.deepEqual(seen.at(-1), { running: false, text: 'Draft ready (style v5)', kind: 'done' });
  assert.ok(seen.some((s) => s.running && s.text === 'Drafting…'));
});

test('plain-text windows get plainTextBody updates', async () => {
  const { api, ports, drafts } = setup('compose-reply-plain.json');
  const done = drafts.start(7, 'Say yes');
  const req = await draftRequest(ports);
  ports[0].say({ id: req.id, event: 'token', text: 'Yes!' });
  ports[0].say({ id: req.id, ok: true, result: { text: 'Yes!' } });
  await done;
  assert.ok(api.sets.every((s) => typeof s.plainTextBody === 'string' && !('body' in s)));
  assert.ok(api.details.plainTextBody.startsWith('Yes!\n\nOn 3/3/26 09:12, Bob Stone wrote:\n> Great.'));
});

test('Stop cancels the request; the text so far stays and the popup says so', async () => {
  const { api, ports, drafts, seen } = setup('compose-new-html.json');
  const done = drafts.start(7, 'Invite them to lunch');
  const req = await draftRequest(ports);
  ports[0].say({ id: req.id, event: 'token', text: 'Dear all,' });
  drafts.stop(7);
  assert.deepEqual(ports[0].last('cancel')?.params, { target: req.id });
  ports[0].say({ id: req.id, ok: false, error: { code: 'cancelled', message: 'cancelled' } });
  await done;
  assert.match(api.details.body, /Dear all,/);
  assert.deepEqual(seen.at(-1), { running: false, text: 'Stopped. The draft so far stays in the message.', kind: 'info' });
});

test('the daemon being down shows its message in the popup', async () => {
  const { ports, drafts, seen } = setup('compose-new-html.json');
  const done = drafts.start(7, 'Invite them');
  const req = await draftRequest(ports);
  const down = { code: 'unavailable', message: 'Panza is not running. Start it with `panza daemon`.' };
  ports[0].say({ id: req.id, ok: false, error: down });
  await tick();
  ports[0].say({ id: ports[0].last('ping')?.id, ok: false, error: down }); // the host's answer to the ping too
  await done;
  assert.equal(seen.at(-1)?.kind, 'error');
  assert.equal(seen.at(-1)?.text, 'Panza is not running. Start it with `panza daemon`.');
});

test('a second start while drafting is ignored; closing the tab cancels', async () => {
  const { ports, drafts } = setup('compose-new-html.json');
  drafts.start(7, 'one');
  const req = await draftRequest(ports);
  await drafts.start(7, 'two');
  assert.equal(ports[0].posted.filter((m) => m.method === 'draft').length, 1);
  drafts.forget(7);
  assert.deepEqual(ports[0].last('cancel')?.params, { target: req.id });
});

test('sending after a draft reports what was sent as feedback, once it went', async () => {
  const { api, ports, drafts } = setup('compose-reply-html.json');
  const done = drafts.start(7, '');
  const req = await draftRequest(ports);
  ports[0].say({ id: req.id, event: 'token', text: 'Hi Bob,\n\n7pm is perfect.' });
  ports[0].say({ id: req.id, ok: true, result: { text: 'Hi Bob,\n\n7pm is perfect.', adapter_version: 5, draft_id: 'dr-7' } });
  await done;
  // Saving as a draft is not sending; a failed send is not either.
  drafts.sent.beforeSend(7, api.details);
  assert.equal(await drafts.sent.afterSend(7, { mode: 'draft' }), false);
  drafts.sent.beforeSend(7, api.details);
  assert.equal(await drafts.sent.afterSend(7, { mode: 'sendNow', error: 'SMTP server refused' }), false);
  assert.equal(ports[0].last('feedback'), undefined);

  drafts.sent.beforeSend(7, { ...api.details, body: api.details.body.replace('7pm is perfect.', '7pm is perfect. Thanks!') });
  drafts.forget(7); // the compose tab closes as the message goes
  const recorded = drafts.sent.afterSend(7, { mode: 'sendNow' });
  await tick();
  const sent = ports[0].last('feedback');
  assert.deepEqual(sent.params, { draft_id: 'dr-7', text: 'Hi Bob,\n\n7pm is perfect. Thanks!' });
  ports[0].say({ id: sent.id, ok: true, result: { recorded: true } });
  assert.equal(await recorded, true);
});

test('a window Panza did not draft into reports nothing', async () => {
  const { api, ports, drafts } = setup('compose-new-html.json');
  drafts.sent.beforeSend(7, api.details);
  assert.equal(await drafts.sent.afterSend(7, { mode: 'sendNow' }), false);
  assert.equal(ports.length, 0);
});
