import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIMITS, clip, draftParams } from '../../common/params.js';

test('params are trimmed and shaped as the daemon validates them', () => {
  const p = draftParams({
    instruction: '  Accept  ',
    mode: 'reply',
    subject: ' Re: Dinner ',
    to: [' Bob <bob@example.org> ', ''],
    thread: [{ from: 'Bob', date: 'Mon', text: ' Hi Ada ' }, { from: 'x', text: '   ' }],
  });
  assert.deepEqual(p, {
    instruction: 'Accept',
    mode: 'reply',
    subject: 'Re: Dinner',
    to: ['Bob <bob@example.org>'],
    thread: [{ from: 'Bob', date: 'Mon', text: 'Hi Ada' }],
  });
  assert.equal(draftParams({ mode: 'forward' }).mode, 'new');
});

test('a long thread keeps its newest messages, oldest first, within the limits', () => {
  const thread = Array.from({ length: 80 }, (_, i) => ({ from: `p${i}`, date: '', text: `${i} `.padEnd(10_000, 'x') }));
  const p = draftParams({ instruction: 'x', thread });
  // 200,000 characters of budget hold the newest 20 messages of 10,000 each.
  assert.deepEqual(p.thread.map((m) => m.from), Array.from({ length: 20 }, (_, i) => `p${60 + i}`));
  assert.deepEqual(p.thread.map((m) => m.text.length), Array(20).fill(10_000));
  assert.equal(p.thread.reduce((n, m) => n + m.text.length, 0), LIMITS.threadText);
  const huge = draftParams({ instruction: 'x', thread: [{ text: 'y'.repeat(300_000) }] });
  assert.equal(huge.thread[0].text.length, LIMITS.messageText);
  assert.ok(JSON.stringify(draftParams({ instruction: 'x', thread })).length < 1 << 20, 'fits one frame');
});

test('many short messages stop at the message limit, keeping the newest', () => {
  const thread = Array.from({ length: 70 }, (_, i) => ({ from: `p${i}`, date: 'd', text: 'ok' }));
  const p = draftParams({ instruction: 'x', thread });
  assert.deepEqual(p.thread.map((m) => m.from), Array.from({ length: LIMITS.messages }, (_, i) => `p${20 + i}`));
});

test('clipping never splits a surrogate pair', () => {
  const face = '\u{1F600}'; // two UTF-16 units
  assert.equal(clip(`ab${face}`, 3), 'ab');
  assert.equal(clip(`ab${face}`, 4), `ab${face}`);
  assert.equal(clip(`a${face}b`, 3), `a${face}`);
  assert.equal(clip(face, 1), '');
  assert.equal(clip('abc', 0), '');
  assert.equal(clip('a\ud83d', 5), 'a\ufffd', 'a lone surrogate from the page is replaced');
  assert.equal(clip('\ude00b', 5), '\ufffdb');

  const instruction = `${'a'.repeat(LIMITS.instruction - 1)}${face}`;
  const p = draftParams({
    instruction,
    subject: `${'s'.repeat(LIMITS.subject - 1)}${face}`,
    thread: [{ from: `${'f'.repeat(LIMITS.address - 1)}${face}`, date: '', text: `${'t'.repeat(LIMITS.messageText - 1)}${face}` }],
  });
  assert.equal(p.instruction, 'a'.repeat(LIMITS.instruction - 1));
  assert.equal(p.subject, 's'.repeat(LIMITS.subject - 1));
  assert.equal(p.thread[0].from, 'f'.repeat(LIMITS.address - 1));
  assert.equal(p.thread[0].text, 't'.repeat(LIMITS.messageText - 1));
});
