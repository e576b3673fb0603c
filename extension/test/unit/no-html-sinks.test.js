// Gmail enforces Trusted Types and model output must never be parsed as HTML: no
// extension source (or test page) may use an HTML-parsing sink.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Spelled in pieces so that this file does not match itself.
const SINKS = new RegExp(['inner' + 'HTML', 'outerHTML\\s*=(?!=)', 'insertAdjacent' + 'HTML', 'document\\.' + 'write', "'insert" + "HTML'", 'createContextual' + 'Fragment'].join('|'));

/** @param {string} dir @returns {string[]} */
function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(m?js|html)$/.test(name) ? [path] : [];
  });
}

test('no HTML sinks anywhere in the extension', () => {
  const files = sources(ROOT);
  assert.ok(files.length > 20);
  const hits = files.filter((f) => SINKS.test(readFileSync(f, 'utf8')));
  assert.deepEqual(hits, []);
});
