import assert from 'node:assert/strict';
import { test } from 'node:test';
import { domWith, fixtureJson } from '../dom.js';
import { htmlWithDraft, plainWithDraft } from '../../thunderbird/body.js';
import { sentText } from '../../thunderbird/feedback.js';

domWith();
const reply = fixtureJson('thunderbird/compose-reply-html.json');
const fresh = fixtureJson('thunderbird/compose-new-html.json');
const plain = fixtureJson('thunderbird/compose-reply-plain.json');

/** @param {string} html */
const parse = (html) => new DOMParser().parseFromString(html, 'text/html');
/** @param {string} html @param {string} selector */
const outer = (html, selector) => parse(html).querySelector(selector)?.outerHTML;

test('the draft goes above the quote and the signature, which stay exactly as they were', () => {
  const out = htmlWithDraft(reply.body, reply.body, 'Hi Bob,\n\n7pm is perfect.');
  const doc = parse(out);
  const box = doc.body.firstElementChild;
  assert.equal(box?.className, 'panza-draft');
  assert.deepEqual(Array.from(box?.childNodes ?? []).map((n) => n.nodeName), ['#text', 'BR', 'BR', '#text', 'BR']);
  assert.equal(box?.textContent, 'Hi Bob,7pm is perfect.');
  for (const selector of ['.moz-cite-prefix', 'blockquote[type="cite"]', '.moz-signature']) {
    assert.equal(outer(out, selector), outer(reply.body, selector), selector);
  }
  const order = ['.panza-draft', '.moz-cite-prefix', 'blockquote', '.moz-signature'].map((s) => doc.querySelector(s));
  for (let i = 1; i < order.length; i += 1) {
    assert.ok(/** @type {Node} */ (order[i - 1]).compareDocumentPosition(/** @type {Node} */ (order[i])) & 4);
  }
});

test('each streaming update replaces the draft so far, keeping what the user typed', () => {
  let body = htmlWithDraft(reply.body, reply.body, 'Hi');
  // The user types into the empty paragraph under the draft meanwhile.
  const typed = parse(body);
  typed.querySelector('p')?.append('P.S. see you there');
  body = `<!DOCTYPE html>\n${typed.documentElement.outerHTML}`;
  body = htmlWithDraft(body, reply.body, 'Hi Bob, 7pm');
  const doc = parse(body);
  assert.equal(doc.querySelectorAll('.panza-draft').length, 1);
  assert.equal(doc.querySelector('.panza-draft')?.textContent, 'Hi Bob, 7pm');
  assert.match(doc.querySelector('p')?.textContent ?? '', /P\.S\. see you there/);
});

test('the final update drops the wrapper and leaves plain lines in the body', () => {
  const streaming = htmlWithDraft(reply.body, reply.body, 'Hi Bob');
  const done = htmlWithDraft(streaming, reply.body, 'Hi Bob,\nyes.', { final: true });
  const doc = parse(done);
  assert.equal(doc.querySelector('.panza-draft'), null);
  assert.equal(doc.body.firstChild?.nodeValue, 'Hi Bob,');
  assert.equal(outer(done, '.moz-signature'), outer(reply.body, '.moz-signature'));
});

test('if the editor dropped the wrapper, the draft is rebuilt from the original, not doubled', () => {
  const stripped = htmlWithDraft(reply.body, reply.body, 'Hi', { final: true });
  const out = htmlWithDraft(stripped, reply.body, 'Hi Bob');
  const doc = parse(out);
  assert.equal(doc.querySelector('.panza-draft')?.textContent, 'Hi Bob');
  assert.ok(!doc.body.textContent?.includes('HiHi'));
});

test('a new message: the draft above the signature', () => {
  const out = parse(htmlWithDraft(fresh.body, fresh.body, 'Lunch on Thursday?', { final: true }));
  assert.equal(out.body.firstChild?.nodeValue, 'Lunch on Thursday?');
  assert.equal(out.querySelector('.moz-signature')?.textContent?.replace(/\s+/g, ' ').trim(), '-- Ada Whitfield');
});

test('markup in model output stays text', () => {
  const out = parse(htmlWithDraft(reply.body, reply.body, '<img src=x onerror=alert(1)><b>x</b>'));
  assert.equal(out.querySelector('.panza-draft img, .panza-draft b'), null);
  assert.equal(out.querySelector('.panza-draft')?.textContent, '<img src=x onerror=alert(1)><b>x</b>');
});

test('plain text: the draft, a blank line, then the quote and signature unchanged', () => {
  const original = plain.plainTextBody;
  let body = plainWithDraft(original, original, '', 'Hi Bob,');
  assert.equal(body, `Hi Bob,\n\n${original.slice(1)}`);
  body = plainWithDraft(body, original, 'Hi Bob,', 'Hi Bob,\n\n7pm is perfect.', { final: true });
  assert.ok(body.startsWith('Hi Bob,\n\n7pm is perfect.\n\nOn 3/3/26 09:12, Bob Stone wrote:\n> Great. 7pm?'));
  assert.ok(body.endsWith('-- \nAda Whitfield\n'));
});

test('plain text typed by the user under the draft survives updates', () => {
  const original = '\n-- \nAda\n';
  let body = plainWithDraft(original, original, '', 'Hi');
  body = body.replace('-- ', 'PS: bring the slides\n-- ');
  body = plainWithDraft(body, original, 'Hi', 'Hi there');
  assert.equal(body, 'Hi there\n\nPS: bring the slides\n-- \nAda\n');
});

test('the sent text is what the user wrote: no quote, no signature, in HTML and plain text', () => {
  const written = reply.body.replace('<p><br>\n    </p>', '<p>See you at 7.</p>');
  assert.notEqual(written, reply.body);
  assert.equal(sentText({ ...reply, body: written }), 'See you at 7.');
  assert.equal(sentText({ ...plain, plainTextBody: `See you at 7.\nAda${plain.plainTextBody}` }), 'See you at 7.\nAda');
  assert.equal(sentText({ isPlainText: true, plainTextBody: '-- \nAda Whitfield\n' }), '');
});

test('CR and CRLF in the draft are line breaks in HTML', () => {
  const doc = parse(htmlWithDraft(fresh.body, fresh.body, 'Hi\r\nBob\rx', { final: true }));
  const top = Array.from(doc.body.childNodes).slice(0, 6);
  assert.deepEqual(top.map((n) => n.nodeValue ?? n.nodeName), ['Hi', 'BR', 'Bob', 'BR', 'x', 'BR']);
});
