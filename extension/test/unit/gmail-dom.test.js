import assert from 'node:assert/strict';
import { test } from 'node:test';
import { domWith, fixture } from '../dom.js';
import { addControls, hasControls } from '../../chrome/gmail/controls.js';
import { composeWindows } from '../../chrome/gmail/dom.js';
import { start } from '../../chrome/gmail/main.js';
import { readCompose, readThread } from '../../chrome/gmail/read.js';
import { tick } from '../fakes.js';

/** @param {Document} doc */
function openComposeDialog(doc) {
  const template = /** @type {HTMLTemplateElement} */ (doc.getElementById('compose-template'));
  doc.getElementById('dialogs')?.appendChild(template.content.cloneNode(true));
}

test('the inline reply is found as a compose window, with its body', () => {
  const { window } = domWith(fixture('gmail/thread.html'));
  const found = composeWindows(window.document);
  assert.equal(found.length, 1);
  assert.ok(found[0].root.matches('div.M9'));
  assert.equal(found[0].body.getAttribute('aria-label'), 'Message Body');
});

test('a reply reads subject, recipients and the expanded messages without quoted history', () => {
  const { window } = domWith(fixture('gmail/thread.html'));
  const [{ root }] = composeWindows(window.document);
  const request = readCompose(root, '');
  assert.equal(request.mode, 'reply');
  assert.equal(request.subject, 'Re: Dinner on Friday');
  assert.deepEqual(request.to, ['Bob Stone <bob.stone@example.org>']);
  assert.deepEqual(request.thread, [
    {
      from: 'Bob Stone <bob.stone@example.org>',
      date: 'Mon, 2 Mar 2026, 18:40',
      text: 'Hi Ada,\n\nShall we have dinner on Friday? The new place on Elm Street takes bookings.\n\nBob',
    },
    {
      from: 'Bob Stone <bob.stone@example.org>',
      date: 'Tue, 3 Mar 2026, 09:12',
      text: 'Great. 7pm? I can book the table for four if Carol and Dan come too.\n\nBob',
    },
  ]);
});

test('an Outlook-style quote shown with "Show trimmed content" (div.im) is not the message text', () => {
  const { window } = domWith(fixture('gmail/trimmed.html'));
  const [{ root }] = composeWindows(window.document);
  const request = readCompose(root, '');
  assert.equal(request.mode, 'reply');
  assert.deepEqual(request.thread, [
    {
      from: 'Carol Diaz <carol.diaz@example.org>',
      date: 'Wed, 4 Mar 2026, 10:30',
      text: 'Hi Ada,\n\nThe numbers look right to me. Can we meet on Monday to sign off?\n\nCarol',
    },
  ]);
});

test('a new message opened over a thread is not a reply', () => {
  const { window } = domWith(fixture('gmail/thread.html'));
  openComposeDialog(window.document);
  const dialog = composeWindows(window.document).find((w) => w.root.closest('[role="dialog"]'));
  assert.ok(dialog);
  const request = readCompose(dialog.root, 'Invite the team to lunch on Thursday');
  assert.equal(request.mode, 'new');
  assert.equal(request.subject, 'Team lunch');
  assert.deepEqual(request.to, ['Carol Diaz <carol.diaz@example.org>', 'dan@example.org']);
  assert.deepEqual(request.thread, []);
  assert.equal(request.instruction, 'Invite the team to lunch on Thursday');
});

test('collapsed messages are skipped; the compose window itself is never thread', () => {
  const { window } = domWith(fixture('gmail/thread.html'));
  const thread = readThread(window.document);
  assert.equal(thread.length, 2);
  assert.ok(thread.every((m) => !m.text.includes('What time?')));
});

test('controls go right after Send, once per window; the status line above the toolbar', () => {
  const { window } = domWith(fixture('gmail/thread.html'));
  const [{ root, body }] = composeWindows(window.document);
  assert.equal(hasControls(root), false);
  const controls = addControls(root, body);
  assert.equal(hasControls(root), true);
  const send = root.querySelector('td.gU.Up');
  assert.equal(send?.nextElementSibling?.className, 'panza-cell');
  assert.equal(controls.button.textContent, 'Draft with Panza');
  assert.equal(controls.button.type, 'button');
  assert.equal(controls.status.nextElementSibling?.tagName, 'TABLE');
  assert.equal(controls.status.hidden, true);
});

test('without the send cell, the controls follow the Send button; without that, they sit above the body', () => {
  const { window } = domWith(fixture('gmail/popout.html'));
  const doc = window.document;
  doc.querySelector('td.gU.Up')?.classList.remove('Up');
  let [{ root, body }] = composeWindows(doc);
  addControls(root, body);
  assert.ok(root.querySelector('.btA + .panza-controls'));

  const bare = domWith('<div class="M9"><input name="subjectbox"><div contenteditable="true" g_editable="true"></div></div>');
  [{ root, body }] = composeWindows(bare.window.document);
  addControls(root, body);
  assert.equal(body.previousElementSibling?.className, 'panza-bar');
});

test('one observer gives every compose window its button: inline reply, new dialogs, pop-out', async () => {
  const { window } = domWith(fixture('gmail/thread.html'));
  const doc = window.document;
  const page = start({ doc, connect: () => { throw new Error('not in this test'); } });
  assert.equal(doc.querySelectorAll('[data-panza="draft"]').length, 1, 'inline reply at start');
  openComposeDialog(doc);
  openComposeDialog(doc);
  await tick(120);
  assert.equal(doc.querySelectorAll('[data-panza="draft"]').length, 3);
  page.scan();
  assert.equal(doc.querySelectorAll('[data-panza="draft"]').length, 3, 'a second scan adds nothing');
  // Gmail re-renders a toolbar: the button comes back.
  doc.querySelector('[role="dialog"] .panza-cell')?.remove();
  await tick(120);
  assert.equal(doc.querySelectorAll('[data-panza="draft"]').length, 3);
  page.stop();

  const popout = domWith(fixture('gmail/popout.html'), 'https://mail.google.com/mail/u/0/?view=cm&fs=1');
  start({ doc: popout.window.document, connect: () => { throw new Error('unused'); } }).stop();
  assert.equal(popout.window.document.querySelectorAll('[data-panza="draft"]').length, 1);
});
