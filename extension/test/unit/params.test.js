import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIMITS, draftParams } from '../../common/params.js';

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
  assert.ok(p.thread.length <= LIMITS.messages);
  assert.equal(p.thread.at(-1)?.from, 'p79', 'the newest message is kept');
  assert.ok(p.thread[0].from < p.thread[1].from || p.thread.length === 1);
  const total = p.thread.reduce((n, m) => n + m.text.length, 0);
  assert.ok(total <= LIMITS.threadText);
  const huge = draftParams({ instruction: 'x', thread: [{ text: 'y'.repeat(300_000) }] });
  assert.equal(huge.thread[0].text.length, LIMITS.messageText);
  assert.ok(JSON.stringify(draftParams({ instruction: 'x', thread })).length < 1 << 20, 'fits one frame');
});
