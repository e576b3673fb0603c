/**
 * Property tests of text insertion (the fuzz tier): whatever the model streams, in
 * whatever pieces, each insertion ends with the text in place and the quote and
 * signature as they were, or with a clear error; never an exception, never markup
 * made from the model's words. Runs are bounded (PANZA_FUZZ_RUNS, default 100);
 * fast-check prints the seed of a failure to replay it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { domWith, fixture, fixtureJson } from '../dom.js';
import { composeWindows } from '../../chrome/gmail/dom.js';
import { TextInserter } from '../../chrome/gmail/insert.js';
import { clip } from '../../common/params.js';
import { htmlWithDraft, plainWithDraft } from '../../thunderbird/body.js';

const RUNS = Number(process.env.PANZA_FUZZ_RUNS ?? 100);
const OPTIONS = { numRuns: RUNS };

/** Tokens as a model streams them: line breaks, markup-like and wide characters are common. */
const token = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('\n', '\n\n', '\r\n', '\r', ' ', '<b>', '</div>', '&amp;', '<br>', '\u{1F600}', '\u00a0', '\t'),
);
const tokens = fc.array(token, { maxLength: 40 });
/** Fewer updates where each one parses the whole compose document twice. */
const updates = fc.array(token, { maxLength: 12 });

/** What the HTML parser keeps of text written out and parsed again (as Thunderbird's editor does). */
const parsed = (/** @type {string} */ text) => text.replace(/\r\n?/g, '\n').replace(/\0/g, '');

/**
 * A line's text as the user sees it: text nodes, and a break for each <br>.
 * @param {Node} node
 * @returns {string}
 */
function lineText(node) {
  if (node.nodeType === 3) return node.nodeValue ?? '';
  if (node.nodeName === 'BR') return '\n';
  return Array.from(node.childNodes, lineText).join('');
}

/** Element names in `root`, counted, leaving out the ones insertion may add. @param {Element} root */
function markup(root) {
  /** @type {Record<string, number>} */
  const count = {};
  for (const el of root.querySelectorAll('*')) if (el.tagName !== 'BR' && el.tagName !== 'DIV') count[el.tagName] = (count[el.tagName] ?? 0) + 1;
  return count;
}

test('Gmail: any token stream lands above the quote and signature, as text', () => {
  const page = fixture('gmail/thread.html');
  fc.assert(
    fc.property(tokens, fc.boolean(), fc.boolean(), (stream, dialog, throwing) => {
      // A fresh page each run: jsdom keeps every Range it made live, and slows down.
      const doc = domWith(page).window.document;
      const template = /** @type {HTMLTemplateElement} */ (doc.getElementById('compose-template'));
      if (dialog) doc.getElementById('dialogs')?.append(template.content.cloneNode(true));
      const { body } = composeWindows(doc)[dialog ? 1 : 0];
      const kept = Array.from(body.querySelectorAll('.gmail_quote, .gmail_signature'), (el) => el.outerHTML);
      const before = markup(body);
      const exec = throwing ? () => { throw new Error('execCommand is not supported'); } : () => false;
      const inserter = new TextInserter(body, exec);
      for (const piece of stream) inserter.write(piece);
      const text = stream.join('').replace(/\r\n?/g, '\n');
      if (text) assert.equal(lineText(/** @type {Node} */ (body.firstChild)), text);
      assert.deepEqual(Array.from(body.querySelectorAll('.gmail_quote, .gmail_signature'), (el) => el.outerHTML), kept);
      assert.deepEqual(markup(body), before, "no element made from the model's words");
    }),
    OPTIONS,
  );
});

test('Thunderbird HTML: any streamed updates end with the draft on top, quote and signature intact', () => {
  domWith();
  const reply = fixtureJson('thunderbird/compose-reply-html.json');
  const editor = (/** @type {string} */ html) => `<!DOCTYPE html>\n${new DOMParser().parseFromString(html, 'text/html').documentElement.outerHTML}`;
  const original = editor(reply.body);
  const doc0 = new DOMParser().parseFromString(original, 'text/html');
  const kept = Array.from(doc0.querySelectorAll('.moz-cite-prefix, blockquote, .moz-signature'), (el) => el.outerHTML);
  fc.assert(
    fc.property(updates, (stream) => {
      let body = original;
      let text = '';
      for (const piece of stream) {
        text += piece;
        body = editor(htmlWithDraft(body, original, text));
      }
      body = editor(htmlWithDraft(body, original, text, { final: true }));
      const doc = new DOMParser().parseFromString(body, 'text/html');
      assert.equal(doc.querySelector('.panza-draft'), null);
      assert.deepEqual(Array.from(doc.querySelectorAll('.moz-cite-prefix, blockquote, .moz-signature'), (el) => el.outerHTML), kept);
      assert.deepEqual(markup(doc.body), markup(doc0.body), "no element made from the model's words");
      const top = [];
      for (const node of Array.from(doc.body.childNodes)) {
        if (node.nodeType === 1 && node.nodeName !== 'BR') break;
        top.push(lineText(node));
      }
      assert.ok(top.join('').startsWith(`${parsed(text)}\n`), 'the draft, then a line break, above the reply');
    }),
    OPTIONS,
  );
});

test('Thunderbird plain text: any streamed updates end with the draft, a blank line, the body as it was', () => {
  const plain = fixtureJson('thunderbird/compose-reply-plain.json').plainTextBody;
  fc.assert(
    fc.property(tokens, fc.constantFrom(plain, '', '\n\n', '-- \nAda\n'), (stream, original) => {
      let body = original;
      let written = '';
      let text = '';
      for (const piece of stream) {
        text += piece;
        body = plainWithDraft(body, original, written, text);
        written = text;
      }
      body = plainWithDraft(body, original, written, text, { final: true });
      const rest = original.replace(/^(?:[ \t]*\n)+/, '');
      assert.equal(body, rest ? `${text}\n\n${rest}` : `${text}\n`);
    }),
    OPTIONS,
  );
});

test('clip: any text, any limit: a prefix within the limit, always valid Unicode', () => {
  const units = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 30 });
  fc.assert(
    fc.property(fc.oneof(units, fc.string({ unit: 'binary', maxLength: 30 })), fc.integer({ min: 0, max: 40 }), (text, max) => {
      const out = clip(text, max);
      assert.ok(text.toWellFormed().startsWith(out));
      assert.ok(out.length <= max && out.length >= Math.min(text.length, max) - 1);
      assert.ok(out.isWellFormed());
    }),
    OPTIONS,
  );
});
