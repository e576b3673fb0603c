// @ts-check
/**
 * Streams text into the top of a Gmail compose body, above any quote or signature,
 * as typing would: `execCommand('insertText')` / `('insertParagraph')` fire the input
 * events Gmail's editor and autosave listen to. Model output only ever goes in as
 * text. Where the browser refuses the command, text nodes are inserted and an
 * `input` event is dispatched instead.
 */
import { matches } from './dom.js';

/** @typedef {(command: string, value?: string) => boolean} Exec */

export class TextInserter {
  /**
   * @param {HTMLElement} body the contenteditable compose body
   * @param {Exec} [exec] document.execCommand (tests pass their own)
   */
  constructor(body, exec) {
    this.body = body;
    this.doc = body.ownerDocument;
    this.exec = exec ?? ((command, value) => this.doc.execCommand(command, false, value));
    /** @type {Range|null} where the next text goes */
    this.caret = null;
    /** @type {Node|null} the empty line's <br>, which goes once the line has content */
    this.placeholder = null;
    this.text = '';
  }

  /** Make an empty line at the top of the body (above quote and signature) and put the caret in it. */
  start() {
    const doc = this.doc;
    let line = this.body.firstChild;
    if (!isEmptyLine(line)) {
      const fresh = emptyLine(doc);
      this.body.insertBefore(fresh, line);
      line = fresh;
    }
    this.placeholder = line?.firstChild?.nodeName === 'BR' ? line.firstChild : null;
    const next = /** @type {ChildNode} */ (line).nextSibling;
    if (next && !isEmptyLine(next)) this.body.insertBefore(emptyLine(doc), next);
    this.caret = doc.createRange();
    this.caret.setStart(/** @type {Node} */ (line), 0);
    this.caret.collapse(true);
  }

  /**
   * Insert `text` where the last insertion ended (a line break starts a new line).
   * @param {string} text
   */
  write(text) {
    if (!text) return;
    if (!this.caret) this.start();
    this.restoreCaret();
    // "\r\n" and "\r" are line breaks too, also when a token boundary splits the pair.
    const lines = this.text.endsWith('\r') && text.startsWith('\n') ? text.slice(1) : text;
    const pieces = lines.replace(/\r\n?/g, '\n').split('\n');
    pieces.forEach((piece, i) => {
      if (i > 0) this.newLine();
      if (piece) this.insertText(piece);
    });
    this.text += text;
    const selection = this.doc.getSelection();
    if (selection && selection.rangeCount) this.caret = selection.getRangeAt(0).cloneRange();
  }

  restoreCaret() {
    if (this.doc.activeElement !== this.body) this.body.focus();
    const selection = this.doc.getSelection();
    if (!selection || !this.caret) return;
    selection.removeAllRanges();
    selection.addRange(this.caret.cloneRange());
  }

  /** @param {string} text */
  insertText(text) {
    if (this.tryExec('insertText', text)) return;
    const node = this.doc.createTextNode(text);
    this.placeNode(node);
    this.announce('insertText', text);
  }

  newLine() {
    if (this.tryExec('insertParagraph')) return;
    this.placeNode(this.doc.createElement('br'));
    this.announce('insertLineBreak', null);
  }

  /**
   * @param {string} command
   * @param {string} [value]
   */
  tryExec(command, value) {
    try {
      return this.exec(command, value) === true;
    } catch {
      return false;
    }
  }

  /** @param {Node} node */
  placeNode(node) {
    const selection = this.doc.getSelection();
    const range = selection && selection.rangeCount ? selection.getRangeAt(0) : /** @type {Range} */ (this.caret);
    // The empty line's placeholder <br> goes with the first insertion, and only that one:
    // a <br> inserted for a line break looks the same but must stay.
    this.placeholder?.parentNode?.removeChild(this.placeholder);
    this.placeholder = null;
    range.insertNode(node);
    range.setStartAfter(node);
    range.collapse(true);
    if (selection) {
      selection.removeAllRanges();
      selection.addRange(range);
    }
  }

  /**
   * @param {string} inputType
   * @param {string|null} data
   */
  announce(inputType, data) {
    const view = this.doc.defaultView;
    const Input = view?.InputEvent ?? view?.Event;
    if (!Input) return;
    this.body.dispatchEvent(new Input('input', { bubbles: true, inputType, data }));
  }
}

/** @param {Document} doc */
function emptyLine(doc) {
  const div = doc.createElement('div');
  div.appendChild(doc.createElement('br'));
  return div;
}

/**
 * A line with nothing in it: `<div><br></div>`, `<div></div>` or a lone `<br>`.
 * @param {Node|null} node
 */
function isEmptyLine(node) {
  if (!node || node.nodeType !== 1) return false;
  const el = /** @type {Element} */ (node);
  if (el.tagName === 'BR') return false; // a bare <br> is not a line we can type into
  if (matches(el, 'keepBelow')) return false;
  if (el.tagName !== 'DIV' && el.tagName !== 'P') return false;
  return Array.from(el.childNodes).every(
    (c) => c.nodeName === 'BR' || (c.nodeType === 3 && !(c.nodeValue ?? '').trim()),
  ) && el.querySelectorAll('br').length <= 1;
}
