import assert from 'node:assert/strict';
import { test } from 'node:test';
import { domWith, fixture } from '../dom.js';
import { sentText } from '../../chrome/gmail/feedback.js';
import { start } from '../../chrome/gmail/main.js';
import { PanzaClient } from '../../common/client.js';
import { feedbackRequests } from '../../common/router.js';
import { FakePort, portFactory, tick } from '../fakes.js';

/** A Gmail thread page with Panza started; what it reports as feedback is recorded. */
function page() {
  const { window } = domWith(fixture('gmail/thread.html'));
  const doc = window.document;
  /** @type {FakePort[]} */
  const ports = [];
  /** @type {any[]} */
  const feedback = [];
  const connect = () => {
    const port = new FakePort('panza-draft');
    ports.push(port);
    return /** @type {any} */ (port);
  };
  const handle = start({ doc, connect, exec: () => false, sendFeedback: (m) => feedback.push(m) });
  const root = /** @type {HTMLElement} */ (doc.querySelector('#inline-reply .M9'));
  const q = (/** @type {string} */ s) => /** @type {HTMLElement} */ (root.querySelector(s));
  return { window, doc, ports, feedback, handle, root, button: q('[data-panza="draft"]'), body: q('[g_editable="true"]'), send: q('[role="button"][aria-label^="Send"]') };
}

/**
 * Run one draft to its end with `outcome`.
 * @param {ReturnType<typeof page>} p
 * @param {string[]} tokens
 * @param {any} outcome
 */
function draft(p, tokens, outcome) {
  p.button.click();
  const port = p.ports.at(-1);
  for (const text of tokens) port?.say({ type: 'token', text });
  port?.say({ type: 'done', outcome });
}

test('sending after a draft reports the text the user sent, without quote or signature', () => {
  const p = page();
  draft(p, ['Hi Bob,', '\n', 'Seven works.'], { ok: true, result: { draft_id: 'dr-1', adapter_version: 2 } });
  p.body.firstElementChild?.append(' See you there.'); // the user edits the draft
  p.send.click();
  assert.deepEqual(p.feedback, [{ type: 'feedback', draft_id: 'dr-1', text: 'Hi Bob,\nSeven works. See you there.' }]);

  // Ctrl+Enter sends too; the later send of the same draft reports again (the last one counts).
  p.body.dispatchEvent(new p.window.KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true }));
  assert.equal(p.feedback.length, 2);
  assert.equal(p.feedback[1].draft_id, 'dr-1');
  p.handle.stop();
});

test('no draft, a failed draft, or a plain Enter report nothing', () => {
  const p = page();
  p.send.click();
  draft(p, ['Hi'], { ok: false, code: 'cancelled', title: 'Stopped', detail: '' });
  p.send.click();
  p.body.dispatchEvent(new p.window.KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
  assert.equal(p.feedback.length, 0);
  // A newer draft in the same window is the one reported.
  draft(p, ['One'], { ok: true, result: { draft_id: 'dr-1' } });
  draft(p, ['Two'], { ok: true, result: { draft_id: 'dr-2' } });
  p.send.click();
  assert.deepEqual(p.feedback.map((m) => m.draft_id), ['dr-2']);
  p.handle.stop();
});

test("the sent text leaves out Gmail's quote and signature", () => {
  const { window } = domWith(
    '<div g_editable="true"><div>Yes, see you at 7.</div><div><br></div><span class="gmail_signature_prefix">-- </span><br>' +
      '<div class="gmail_signature">Ada</div><div class="gmail_quote">On Tue, Bob wrote:<blockquote>7pm?</blockquote></div></div>',
  );
  assert.equal(sentText(/** @type {Element} */ (window.document.querySelector('[g_editable]'))), 'Yes, see you at 7.');
});

test("the worker relays this extension's feedback to the daemon, within its limits", async () => {
  const { ports, connect } = portFactory();
  const client = new PanzaClient({ connect, lastError: () => undefined, newId: () => 'f1', idleMs: 0 });
  const listener = feedbackRequests(client, 'keep');
  assert.equal(listener({ type: 'feedback', draft_id: 'dr-1', text: 'Hi' }, { id: 'someone-else' }), false);
  assert.equal(listener({ type: 'feedback', draft_id: '', text: 'Hi' }, { id: 'keep' }), false);
  assert.equal(listener({ type: 'draft', draft_id: 'dr-1', text: 'Hi' }, { id: 'keep' }), false);
  assert.equal(ports.length, 0, 'nothing reached the daemon');
  listener({ type: 'feedback', draft_id: 'dr-1', text: ` ${'x'.repeat(199_999)}\u{1F600}y ` }, { id: 'keep' });
  const sent = ports[0].last('feedback');
  assert.equal(sent.params.draft_id, 'dr-1');
  assert.equal(sent.params.text, 'x'.repeat(199_999), 'clipped to 200,000 units without half a pair');
  ports[0].say({ id: 'f1', ok: false, error: { code: 'bad_request', message: "no draft with id 'dr-1'" } });
  await tick(); // a refused feedback is only noted
});
