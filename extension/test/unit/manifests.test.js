import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const ROOT = new URL('../../', import.meta.url);
/** @param {string} rel */
const read = (rel) => readFileSync(new URL(rel, ROOT), 'utf8');
const tb = JSON.parse(read('thunderbird/manifest.json'));
const chrome = JSON.parse(read('chrome/manifest.json'));

/** The ids that tie the extension to the native host (native_host/ids.py). */
function pythonIds() {
  const ids = read('../native_host/ids.py');
  const keyBlock = /CHROME_PUBLIC_KEY = \(([^)]*)\)/.exec(ids)?.[1] ?? '';
  return {
    key: [...keyBlock.matchAll(/"([^"]*)"/g)].map((m) => m[1]).join(''),
    gecko: /GECKO_ID = "([^"]+)"/.exec(ids)?.[1],
    host: /HOST_NAME = "([^"]+)"/.exec(ids)?.[1],
  };
}

/**
 * A file a manifest names, as the package lays it out (common/ copied next to the target).
 * @param {string} target
 * @param {string} rel
 */
function packaged(target, rel) {
  const path = rel.startsWith('common/') ? rel : `${target}/${rel}`;
  return existsSync(new URL(path, ROOT));
}

test('Thunderbird: MV3 MailExtension, fixed gecko id, 128+, the three permissions', () => {
  assert.equal(tb.manifest_version, 3);
  assert.equal(tb.browser_specific_settings.gecko.id, pythonIds().gecko);
  assert.equal(tb.browser_specific_settings.gecko.strict_min_version, '128.0');
  assert.deepEqual([...tb.permissions].sort(), ['compose', 'messagesRead', 'nativeMessaging']);
  assert.equal(tb.compose_action.default_title, 'Draft with Panza');
  assert.ok(tb.compose_action.default_popup);
  assert.ok(tb.commands._execute_compose_action.suggested_key.default, 'a keyboard shortcut');
  assert.equal(tb.background.type, 'module');
});

test('Chrome: MV3 service worker module, the key that gives the fixed id, Gmail content script', () => {
  assert.equal(chrome.manifest_version, 3);
  assert.equal(chrome.key, pythonIds().key);
  assert.deepEqual(chrome.permissions, ['nativeMessaging']);
  assert.equal(chrome.background.type, 'module');
  assert.deepEqual(chrome.content_scripts[0].matches, ['https://mail.google.com/*']);
  assert.equal(chrome.host_permissions, undefined, 'no host permissions needed');
});

test('both talk to the host name the installer registers', () => {
  assert.match(read('common/protocol.js'), new RegExp(`HOST_NAME = '${pythonIds().host}'`));
});

test('every file a manifest names is there', () => {
  /** @type {[string, string[]][]} */
  const named = [
    ['thunderbird', [tb.background.scripts[0], tb.compose_action.default_popup, tb.options_ui.page, ...Object.values(tb.icons), ...Object.values(tb.compose_action.default_icon)]],
    ['chrome', [chrome.background.service_worker, chrome.options_ui.page, ...chrome.content_scripts[0].js, ...chrome.content_scripts[0].css, ...Object.values(chrome.icons)]],
  ];
  for (const [target, files] of named) {
    for (const rel of files) assert.ok(packaged(target, /** @type {string} */ (rel)), `${target}: ${rel}`);
  }
});
