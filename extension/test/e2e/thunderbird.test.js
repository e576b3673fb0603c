/**
 * "Draft with Panza" in real Thunderbird (headless): the built package side-loaded with
 * a test-only driver page that uses the popup's port, the real background, the real
 * native host, and a stand-in daemon streaming scripted tokens on the real socket path.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildExtension } from './browser.js';
import { initHome, socketPath } from './daemon.js';
import { StubDaemon } from './stub-daemon.js';
import { runThunderbird, thunderbirdMissing } from './thunderbird.js';

const skip = thunderbirdMissing();
const REPLY = ['Hi Bob,', '\n\n', 'Seven is perfect.', '\n\n', 'Ada'];
const SLOW = Array.from({ length: 200 }, (_, i) => `word${i} `);

describe('Draft with Panza in Thunderbird, real Thunderbird', { skip: skip ?? false, timeout: 180_000 }, () => {
  /** @type {string} */ let tmp;
  /** @type {StubDaemon} */ let stub;
  /** @type {any} */ let result;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'panza-tb-'));
    buildExtension(join(tmp, 'dist'));
    const home = initHome(join(tmp, 'home'));
    stub = await new StubDaemon(socketPath(home), (params) =>
      /slowly/.test(params.instruction) ? { tokens: SLOW, delayMs: 60 } : { tokens: REPLY, delayMs: 30 },
    ).start();
    result = await runThunderbird({ tmp, home, built: join(tmp, 'dist', 'thunderbird') });
    assert.equal(result.error, undefined, result.error);
  });

  after(async () => {
    await stub?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('every compose window has the button with its popup, and the shortcut is set', () => {
    for (const button of [result.replyButton, result.plainButton]) {
      assert.equal(button.title, 'Draft with Panza');
      assert.match(button.popup, /^moz-extension:\/\/[^/]+\/popup\.html$/);
    }
    assert.equal(result.shortcut, 'Ctrl+Alt+P');
  });

  test('an empty instruction replies to the message: it is read and sent as the thread', () => {
    const [draft] = stub.received('draft');
    assert.deepEqual(draft.params, {
      instruction: '',
      mode: 'reply',
      subject: 'Re: Dinner on Friday',
      to: ['Bob Stone <bob.stone@example.org>'],
      thread: [{ from: 'Bob Stone <bob.stone@example.org>', date: '2026-03-03T09:12:00.000Z', text: 'Great. 7pm? I can book the table for four if Carol and Dan come too.\n\nBob' }],
    });
  });

  test('the HTML draft lands above the quote and signature, which stay byte for byte', () => {
    const { before: was, after: now } = result.reply;
    assert.match(now, /<body>Hi Bob,<br><br>Seven is perfect\.<br><br>Ada<br>/);
    const kept = ['<div class="moz-cite-prefix">', '<blockquote type="cite"', '<pre class="moz-signature"'].map((tag) => {
      const start = was.indexOf(tag);
      assert.ok(start > 0, `${tag} in the reply window`);
      return was.slice(start, was.indexOf('</', start));
    });
    let at = now.indexOf('Ada<br>');
    for (const part of kept) {
      const found = now.indexOf(part);
      assert.ok(found > at, `${part.slice(0, 40)}… kept, in order, below the draft`);
      at = found;
    }
    assert.ok(!now.includes('panza-draft'), 'no wrapper left behind');
    assert.deepEqual(result.replyState, { running: false, text: 'Draft ready (style v1)', kind: 'done' });
  });

  test('a plain-text window gets plain text above its signature', () => {
    assert.equal(result.plain.isPlainText, true);
    assert.equal(result.plain.after, 'Hi Bob,\n\nSeven is perfect.\n\nAda\n\n-- \nAda Whitfield\n');
    const plain = stub.received('draft')[1];
    assert.equal(plain.params.mode, 'new');
    assert.equal(plain.params.instruction, 'Invite Carol to lunch on Thursday');
  });

  test('Stop cancels the running draft; the words so far stay and nothing more comes', () => {
    const slow = stub.received('draft')[2];
    assert.deepEqual(stub.received('cancel').map((c) => c.params.target), [slow.id]);
    assert.match(result.stop.during, /<div class="panza-draft">word0 word1 word2 /);
    assert.match(result.stop.at, /<body>word0 word1 word2 /);
    assert.equal(result.stop.later, result.stop.at);
    assert.ok(!result.stop.at.includes('word199'));
    assert.deepEqual(result.stopState, { running: false, text: 'Stopped. The draft so far stays in the message.', kind: 'info' });
  });

  test('sending the drafted reply reports the text sent as feedback for that draft', () => {
    const [reply] = stub.received('draft');
    assert.equal(result.sent?.mode, 'sendLater');
    const feedback = stub.received('feedback');
    assert.equal(feedback.length, 1, 'one feedback, for the one drafted message sent');
    assert.deepEqual(feedback[0].params, { draft_id: `stub-${reply.id}`, text: 'Hi Bob,\n\nSeven is perfect.\n\nAda\nPS: thanks!' });
  });
});
