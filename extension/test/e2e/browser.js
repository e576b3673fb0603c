/**
 * Real Chromium (Debian's, new headless mode) with the unpacked Chrome extension as
 * `panza install` builds it, the real native host registered in the profile's
 * NativeMessagingHosts/, and https://mail.google.com/ served from the Gmail stand-in
 * pages (with Gmail's Trusted Types policy) through request routing.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { PYTHON, REPO } from './daemon.js';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const EXTENSION_ID = 'keepcaajjmmjnokhdiknjlphjkemagmh';
const FIXTURES = new URL('../fixtures/gmail/', import.meta.url);
export const GMAIL = 'https://mail.google.com/mail/u/0/#inbox/FMfcgzQbfLzT';
export const POPOUT = 'https://mail.google.com/mail/u/0/?view=cm&fs=1&tf=1';

/**
 * Why these tests cannot run here, or null. In CI a missing browser is a failure.
 * @returns {string|null}
 */
export function missing() {
  const why = !existsSync(CHROMIUM)
    ? `${CHROMIUM} not found (apt-get install chromium, or make sysdeps)`
    : !existsSync(PYTHON)
      ? `${PYTHON} not found (make venv)`
      : null;
  if (why && process.env.CI && process.env.CI !== 'false') throw new Error(`CI must run the browser tests: ${why}`);
  return why;
}

/**
 * The packages `make extension` / `panza install` build, into `out`.
 * @param {string} out
 * @returns {string} the unpacked Chrome extension
 */
export function buildExtension(out) {
  const run = spawnSync(PYTHON, [join(REPO, 'extension/build.py'), out], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`extension/build.py failed: ${run.stderr}`);
  return join(out, 'chrome');
}

/**
 * The host manifest and a launcher for the real host, in the profile (as Chromium
 * looks for user-level hosts in <user-data-dir>/NativeMessagingHosts/).
 * @param {string} profile
 * @param {string} home PANZA_HOME the host relays to
 */
function installHost(profile, home) {
  const hosts = join(profile, 'NativeMessagingHosts');
  mkdirSync(hosts, { recursive: true });
  const launcher = join(profile, 'panza-host');
  // HOME and XDG_CONFIG_HOME point into the profile: the host must not find (and start)
  // a Panza service installed for the real user.
  writeFileSync(
    launcher,
    [
      '#!/bin/sh',
      `export PANZA_HOME='${home}'`,
      `export HOME='${profile}'`,
      `export XDG_CONFIG_HOME='${join(profile, 'xdg-config')}'`,
      `exec '${PYTHON}' -m panza.native_host "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(launcher, 0o755);
  writeFileSync(
    join(hosts, 'org.panza.host.json'),
    JSON.stringify({
      name: 'org.panza.host',
      description: 'Panza (end-to-end test)',
      path: launcher,
      type: 'stdio',
      allowed_origins: [`chrome-extension://${EXTENSION_ID}/`],
    }),
  );
}

/**
 * @param {import('playwright-core').Route} route
 */
async function serveGmail(route) {
  const url = new URL(route.request().url());
  /** @type {[string, string]} */
  let [file, type] = ['thread.html', 'text/html; charset=utf-8'];
  if (url.pathname === '/panza-fixture/gmail-fixture.js') [file, type] = ['gmail-fixture.js', 'text/javascript'];
  else if (url.searchParams.get('view') === 'cm') file = 'popout.html';
  else if (url.pathname !== '/mail/u/0/') return route.fulfill({ status: 404, body: '' });
  await route.fulfill({
    status: 200,
    contentType: type,
    headers: { 'content-security-policy': "require-trusted-types-for 'script'" },
    body: readFileSync(new URL(file, FIXTURES)),
  });
}

/**
 * @param {{profile: string, home: string, extension: string}} options
 */
export async function launch({ profile, home, extension }) {
  installHost(profile, home);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: false, // the flag below asks for the new headless mode explicitly
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--disable-extensions-except=${extension}`,
      `--load-extension=${extension}`,
    ],
    viewport: { width: 1280, height: 900 },
  });
  await context.route('https://mail.google.com/**', serveGmail);
  // Everything else stays off the network (there is none here anyway).
  await context.route(/^https?:\/\/(?!mail\.google\.com\/)/, (route) => route.abort());
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  if (!worker.url().startsWith(`chrome-extension://${EXTENSION_ID}/`)) {
    throw new Error(`unexpected extension id: ${worker.url()}`);
  }
  return context;
}
