import assert from 'node:assert/strict';
import { test } from 'node:test';
import { domWith, fixtureJson } from '../dom.js';
import { fakeMessenger } from '../fake-messenger.js';
import { readDraftRequest, recipients } from '../../thunderbird/compose-read.js';
import { bestText, stripQuoted, textParts, threadEntry } from '../../thunderbird/message-text.js';

domWith();
const BOB = 'Great. 7pm? I can book the table for four if Carol and Dan come too.\n\nBob';

test('the text parts of a getFull() tree, attachments left out', () => {
  const parts = textParts(fixtureJson('thunderbird/message-full.json'));
  assert.deepEqual(parts.map((p) => p.contentType), ['text/plain', 'text/html']);
});

test('plain text is preferred and its quoted history dropped', () => {
  assert.equal(bestText(textParts(fixtureJson('thunderbird/message-full.json'))), BOB);
});

test('HTML-only messages are converted, without the quote', () => {
  const parts = fixtureJson('thunderbird/inline-text-parts.json');
  assert.equal(bestText(parts), BOB);
});

test('quoted lines and their attribution go; other colons stay', () => {
  assert.equal(stripQuoted('Agenda:\n- one\n\nOn Mon, X wrote:\n> old\n> older'), 'Agenda:\n- one');
});

test('the related message becomes a thread entry, via listInlineTextParts or getFull', async () => {
  for (const inlineParts of [true, false]) {
    const api = fakeMessenger({ details: 'compose-reply-html.json', inlineParts });
    assert.deepEqual(await threadEntry(api, 17), {
      from: 'Bob Stone <bob.stone@example.org>',
      date: '2026-03-03T09:12:00.000Z',
      text: BOB,
    });
  }
});

test('an HTML reply window becomes a reply request with the thread', async () => {
  const api = fakeMessenger({ details: 'compose-reply-html.json', inlineParts: true });
  const { params, details } = await readDraftRequest(api, 7, '');
  assert.equal(details.type, 'reply');
  assert.deepEqual(params, {
    instruction: '',
    mode: 'reply',
    subject: 'Re: Dinner on Friday',
    to: ['Bob Stone <bob.stone@example.org>'],
    thread: [{ from: 'Bob Stone <bob.stone@example.org>', date: '2026-03-03T09:12:00.000Z', text: BOB }],
  });
});

test('contact references in "To" are left out; plain-text replies read the same', async () => {
  const api = fakeMessenger({ details: 'compose-reply-plain.json' });
  const { params } = await readDraftRequest(api, 7, 'Say yes');
  assert.deepEqual(params.to, ['Bob Stone <bob.stone@example.org>']);
  assert.equal(params.instruction, 'Say yes');
  assert.equal(params.thread.length, 1);
  assert.deepEqual(recipients('x@y.org'), ['x@y.org']);
  assert.deepEqual(recipients(undefined), []);
});

test('a new message has no thread', async () => {
  const api = fakeMessenger({ details: 'compose-new-html.json' });
  const { params } = await readDraftRequest(api, 7, 'Invite them to lunch');
  assert.equal(params.mode, 'new');
  assert.deepEqual(params.thread, []);
  assert.deepEqual(params.to, ['Carol Diaz <carol.diaz@example.org>', 'dan@example.org']);
});

test('a message that cannot be read leaves the thread empty rather than failing', async () => {
  const api = fakeMessenger({ details: 'compose-reply-html.json' });
  api.details.relatedMessageId = 99;
  const warn = console.warn;
  console.warn = () => {};
  try {
    const { params } = await readDraftRequest(api, 7, '');
    assert.deepEqual(params.thread, []);
  } finally {
    console.warn = warn;
  }
});
