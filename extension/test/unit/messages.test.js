import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDraft, describeError, describeProgress, describeQueued } from '../../common/messages.js';

const NOT_RUNNING =
  'Panza is not running (nothing answers on /run/user/1000/panza/daemon.sock). Start it with `panza daemon`, or run `panza install` once so that it starts at login.';

test('unavailable: the host already says what to do; the user sees it whole', () => {
  const said = describeError('unavailable', NOT_RUNNING);
  assert.equal(said.title, 'Panza is not running');
  assert.equal(said.detail, NOT_RUNNING);
});

test('a daemon without the method is told apart from a daemon that is down, by its ping', () => {
  const said = describeError('unavailable', 'draft is not available in this daemon', { absent: true });
  assert.equal(said.title, 'This version of Panza cannot draft yet');
  assert.match(said.detail, /Update Panza/);
  // The same words without the ping's verdict are not interpreted.
  assert.equal(describeError('unavailable', 'draft is not available in this daemon').title, 'Panza is not running');
});

test('not_ready shows how far the first training has come', () => {
  const status = { emails: { kept: 120 }, jobs: { train: { running: true, stage: 'training', done: 3, total: 12 } } };
  const said = describeError('not_ready', 'no adapter yet', { status });
  assert.equal(said.title, 'Panza is still learning your style');
  assert.equal(said.detail, 'no adapter yet. First training: training 3 of 12 (25%).');
});

test('not_ready without mail says how to give Panza some', () => {
  const said = describeError('not_ready', 'no adapter yet', { status: { emails: { kept: 0 }, jobs: {} } });
  assert.match(said.detail, /panza account add/);
  const later = describeError('not_ready', 'no adapter yet', { status: { emails: { kept: 9 }, jobs: {} } });
  assert.match(later.detail, /Retrain now/);
});

test('every other code gets a title and an actionable detail', () => {
  assert.deepEqual(describeError('busy', 'draft is already running'), {
    title: 'Panza is busy', detail: 'draft is already running. Try again in a moment.',
  });
  assert.equal(describeError('cancelled', 'cancelled').title, 'Stopped');
  assert.match(describeError('too_large', 'message is 2 MiB').detail, /Shorten the quoted thread/);
  assert.equal(describeError('bad_request', 'params.to: too long').detail, 'params.to: too long');
  assert.match(describeError('internal', 'internal error; see the daemon log').detail, /panza doctor/);
  assert.match(describeError('something_new', 'odd').title, /error/);
});

test('progress and queue position read as words', () => {
  assert.equal(describeProgress({ stage: 'loading the model', done: 0, total: null }), 'loading the model');
  assert.equal(describeProgress({ stage: 'sync', done: 50, total: 200 }), 'sync 50 of 200 (25%)');
  assert.equal(describeQueued(2), 'Waiting for Panza: 2 requests ahead');
  assert.equal(describeQueued(1), 'Waiting for Panza: 1 request ahead');
  assert.equal(describeQueued(0), 'Starting…');
});

test('a draft with nothing to do is refused before it is sent', () => {
  assert.match(checkDraft({ instruction: ' ', mode: 'new', thread: [] })?.title ?? '', /what to write/);
  assert.match(checkDraft({ instruction: '', mode: 'reply', thread: [] })?.title ?? '', /Nothing to reply to/);
  assert.equal(checkDraft({ instruction: '', mode: 'reply', thread: [{ text: 'hi' }] }), null);
  assert.equal(checkDraft({ instruction: 'Say yes', mode: 'new', thread: [] }), null);
});
