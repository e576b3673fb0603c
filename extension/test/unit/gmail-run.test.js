import assert from 'node:assert/strict';
import { test } from 'node:test';
import { domWith, fixture } from '../dom.js';
import { start } from '../../chrome/gmail/main.js';
import { FakePort } from '../fakes.js';

function page() {
  const { window } = domWith(fixture('gmail/thread.html'));
  const doc = window.document;
  /** @type {FakePort[]} */
  const ports = [];
  const connect = () => {
    const port = new FakePort('panza-draft');
    ports.push(port);
    return /** @type {any} */ (port);
  };
  const handle = start({ doc, connect, exec: () => false });
  const button = /** @type {HTMLButtonElement} */ (doc.querySelector('[data-panza="draft"]'));
  const status = /** @type {HTMLElement} */ (doc.querySelector('[data-panza="status"]'));
  const body = /** @type {HTMLElement} */ (doc.querySelector('[g_editable="true"]'));
  const input = /** @type {HTMLInputElement} */ (doc.querySelector('[data-panza="instruction"]'));
  return { doc, ports, handle, button, status, body, input, window };
}

test('clicking the button sends the compose window to the worker and streams the draft in', () => {
  const p = page();
  p.input.value = 'Say 7pm is fine';
  p.button.click();
  assert.equal(p.ports.length, 1);
  const sent = p.ports[0].posted[0];
  assert.equal(sent.type, 'draft');
  assert.equal(sent.params.instruction, 'Say 7pm is fine');
  assert.equal(sent.params.mode, 'reply');
  assert.equal(sent.params.thread.length, 2);
  assert.equal(p.button.textContent, 'Stop');
  assert.equal(p.input.disabled, true);
  assert.equal(p.status.textContent, 'Drafting…');

  p.ports[0].say({ type: 'status', text: 'loading the model' });
  assert.equal(p.status.textContent, 'loading the model');
  for (const text of ['Hi Bob,', '\n', '7pm is fine.']) p.ports[0].say({ type: 'token', text });
  assert.match(p.body.firstElementChild?.textContent ?? '', /^Hi Bob,7pm is fine\.$/);
  p.ports[0].say({ type: 'done', outcome: { ok: true, result: { text: 'Hi Bob,\n7pm is fine.', adapter_version: 2 } } });
  assert.equal(p.button.textContent, 'Draft with Panza');
  assert.equal(p.status.textContent, 'Draft ready (style v2)');
  assert.equal(p.status.dataset.kind, 'done');
  assert.equal(p.ports[0].disconnected, true);
  p.handle.stop();
});

test('Stop asks the worker to cancel; the text so far stays', () => {
  const p = page();
  p.button.click();
  p.ports[0].say({ type: 'token', text: 'Hi Bob' });
  p.button.click();
  assert.deepEqual(p.ports[0].posted.at(-1), { type: 'stop' });
  assert.equal(p.status.textContent, 'Stopping…');
  p.ports[0].say({ type: 'done', outcome: { ok: false, code: 'cancelled', title: 'Stopped', detail: 'The draft so far stays in the message.' } });
  assert.equal(p.status.textContent, 'Stopped. The draft so far stays in the message.');
  assert.equal(p.body.firstElementChild?.textContent, 'Hi Bob');
  assert.equal(p.button.textContent, 'Draft with Panza');
  p.handle.stop();
});

test('an error shows as an error, and the button is ready again', () => {
  const p = page();
  p.input.dispatchEvent(new p.window.KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
  assert.equal(p.ports.length, 1, 'Enter in the field drafts too');
  p.ports[0].say({ type: 'done', outcome: { ok: false, code: 'unavailable', title: 'Panza is not running', detail: 'Start it with `panza daemon`.' } });
  assert.equal(p.status.textContent, 'Panza is not running. Start it with `panza daemon`.');
  assert.equal(p.status.dataset.kind, 'error');
  assert.equal(p.status.hidden, false);
  p.button.click();
  assert.equal(p.ports.length, 2, 'a new run can start');
  p.handle.stop();
});

test('the worker going away mid-draft ends the run with a message', () => {
  const p = page();
  p.button.click();
  p.ports[0].drop();
  assert.match(p.status.textContent ?? '', /stopped answering/);
  assert.equal(p.button.textContent, 'Draft with Panza');
  p.handle.stop();
});

test('a reloaded extension says to reload the tab', () => {
  const { window } = domWith(fixture('gmail/popout.html'));
  const handle = start({ doc: window.document, connect: () => { throw new Error('Extension context invalidated.'); } });
  window.document.querySelector('[data-panza="draft"]')?.dispatchEvent(new window.Event('click'));
  assert.match(window.document.querySelector('[data-panza="status"]')?.textContent ?? '', /Reload this Gmail tab/);
  handle.stop();
});

test('closing the compose window mid-draft stops the draft', () => {
  const p = page();
  p.button.click();
  p.ports[0].say({ type: 'token', text: 'Hi' });
  p.doc.getElementById('inline-reply')?.remove();
  p.ports[0].say({ type: 'token', text: ' Bob' });
  assert.deepEqual(p.ports[0].posted.at(-1), { type: 'stop' });
  p.handle.stop();
});
