import assert from 'node:assert/strict';
import { test } from 'node:test';
import { domWith, fixture } from '../dom.js';
import { composeWindows } from '../../chrome/gmail/dom.js';
import { TextInserter } from '../../chrome/gmail/insert.js';

/** execCommand as jsdom has it: not there. */
const noExec = () => false;

/** @param {string} file @param {(doc: Document) => void} [prepare] */
function bodyOf(file, prepare) {
  const { window } = domWith(fixture(file));
  prepare?.(window.document);
  const windows = composeWindows(window.document);
  const w = windows.at(-1);
  assert.ok(w);
  return { window, body: w.body };
}

/** @param {Document} doc */
function openDialog(doc) {
  const t = /** @type {HTMLTemplateElement} */ (doc.getElementById('compose-template'));
  doc.getElementById('dialogs')?.appendChild(t.content.cloneNode(true));
}

test('streamed text lands at the top of a reply, above the quote, which stays intact', () => {
  const { body } = bodyOf('gmail/thread.html');
  const quote = body.querySelector('.gmail_quote');
  const quoteHtmlBefore = quote?.outerHTML;
  const inserter = new TextInserter(body, noExec);
  for (const token of ['Hi Bob', ',\n', '\nSeven', ' is perfect', '.']) inserter.write(token);
  assert.equal(inserter.text, 'Hi Bob,\n\nSeven is perfect.');
  const first = /** @type {Element} */ (body.firstElementChild);
  assert.equal(first.textContent, 'Hi Bob,Seven is perfect.');
  assert.equal(first.querySelectorAll('br').length, 2, 'each newline is a line break');
  assert.ok(first.compareDocumentPosition(/** @type {Node} */ (quote)) & 4, 'quote after the draft');
  assert.equal(quote?.outerHTML, quoteHtmlBefore);
  assert.equal(body.querySelectorAll('.gmail_quote').length, 2, 'quote wrapper and blockquote, untouched');
});

test('in a new message the draft goes above the signature', () => {
  const { body } = bodyOf('gmail/thread.html', openDialog);
  const inserter = new TextInserter(body, noExec);
  inserter.write('Lunch on Thursday?');
  const children = Array.from(body.children);
  const sig = children.findIndex((el) => el.matches('.gmail_signature_prefix'));
  assert.equal(children[0].textContent, 'Lunch on Thursday?');
  assert.ok(sig > 1, 'an empty line between draft and signature');
  assert.equal(body.querySelector('.gmail_signature')?.textContent, 'Ada Whitfield');
});

test('each insertion fires an input event, as typing does', () => {
  const { window, body } = bodyOf('gmail/popout.html');
  /** @type {[string, string|null][]} */
  const events = [];
  body.addEventListener('input', (e) => events.push([/** @type {InputEvent} */ (e).inputType, /** @type {InputEvent} */ (e).data]));
  const inserter = new TextInserter(body, noExec);
  inserter.write('One\nTwo');
  assert.deepEqual(events, [['insertText', 'One'], ['insertLineBreak', null], ['insertText', 'Two']]);
  assert.equal(window.document.activeElement, body);
});

test('the browser editor is used when it takes the command: insertText and insertParagraph', () => {
  const { body } = bodyOf('gmail/popout.html');
  /** @type {[string, string|undefined][]} */
  const calls = [];
  const inserter = new TextInserter(body, (command, value) => {
    calls.push([command, value]);
    return true;
  });
  inserter.write('Dear Eve,\n\nattached');
  assert.deepEqual(calls, [
    ['insertText', 'Dear Eve,'],
    ['insertParagraph', undefined],
    ['insertParagraph', undefined],
    ['insertText', 'attached'],
  ]);
});

test('text keeps going where it left off, even after the user clicks elsewhere', () => {
  const { window, body } = bodyOf('gmail/popout.html');
  const doc = window.document;
  const inserter = new TextInserter(body, noExec);
  inserter.write('Hello ');
  const subject = /** @type {HTMLInputElement} */ (doc.querySelector('input[name="subjectbox"]'));
  subject.focus();
  doc.getSelection()?.removeAllRanges();
  inserter.write('Eve');
  assert.equal(body.firstElementChild?.textContent, 'Hello Eve');
  assert.equal(subject.value, 'Quarterly report');
});

test('model output is text: markup in it is never parsed', () => {
  const { body } = bodyOf('gmail/popout.html');
  const inserter = new TextInserter(body, noExec);
  inserter.write('<img src=x onerror=alert(1)> & <b>bold</b>');
  assert.equal(body.querySelector('img, b'), null);
  assert.equal(body.firstElementChild?.textContent, '<img src=x onerror=alert(1)> & <b>bold</b>');
});

test('line breaks at the start survive, and CR/CRLF are line breaks, also split across tokens', () => {
  const { body } = bodyOf('gmail/thread.html');
  const inserter = new TextInserter(body, noExec);
  for (const token of ['\n', '\n', 'Hi\r', '\nBob\r', 'x']) inserter.write(token);
  const first = /** @type {Element} */ (body.firstElementChild);
  assert.equal(first.outerHTML, '<div dir="ltr"><br><br>Hi<br>Bob<br>x</div>');
});
