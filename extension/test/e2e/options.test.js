/**
 * The options page in real Chromium, against the real daemon through the real host:
 * connection, current adapter, "Retrain now"; and what it says when the daemon is down.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXTENSION_ID, buildExtension, launch, missing } from './browser.js';
import { Daemon, initHome, socketPath } from './daemon.js';
import { StubDaemon } from './stub-daemon.js';

const skip = missing();
const OPTIONS = `chrome-extension://${EXTENSION_ID}/common/options.html`;

describe('options page, real Chromium', { skip: skip ?? false, timeout: 120_000 }, () => {
  /** @type {string} */ let tmp;
  /** @type {string} */ let home;
  /** @type {import('playwright-core').BrowserContext} */ let context;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'panza-e2e-'));
    const extension = buildExtension(join(tmp, 'dist'));
    home = initHome(join(tmp, 'home'));
    context = await launch({ profile: join(tmp, 'profile'), home, extension });
  });

  after(async () => {
    await context?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('shows the daemon, its adapter and retrain; then that it is down', async () => {
    const daemon = await new Daemon(home).start();
    const page = await context.newPage();
    try {
      await page.goto(OPTIONS);
      await page.waitForFunction(() => document.getElementById('connection')?.dataset.state === 'up');
      assert.match((await page.textContent('#connection')) ?? '', /^Connected to the Panza daemon \(version [\d.]+\)$/);
      assert.match((await page.textContent('#adapter')) ?? '', /^None yet/);
      assert.equal(await page.textContent('#emails'), '0');
      await page.click('#retrain');
      await page.waitForFunction(() => {
        const said = document.getElementById('retrain-result')?.textContent ?? '';
        return said !== '' && said !== 'Asking Panza…';
      }, null, { timeout: 60_000 });
      assert.match((await page.textContent('#retrain-result')) ?? '', /^(Retrain|Panza)/);
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
    await page.reload();
    await page.waitForFunction(() => document.getElementById('connection')?.dataset.state === 'down');
    assert.match((await page.textContent('#connection')) ?? '', /^Panza is not running .*panza daemon/);
    await page.close();
  });

  test('a daemon whose ping does not list retrain gets no "Retrain now"', async () => {
    const stub = await new StubDaemon(socketPath(home), { tokens: [] }).start();
    const page = await context.newPage();
    try {
      await page.goto(OPTIONS);
      await page.waitForFunction(() => document.getElementById('connection')?.dataset.state === 'up');
      assert.equal(await page.locator('#retrain').isHidden(), true);
      assert.equal(await page.textContent('#retrain-result'), 'Retrain is not available in this version of Panza');
      assert.equal(stub.received('retrain').length, 0);
      assert.ok(stub.received('ping').length >= 1);
    } finally {
      await page.close();
      await stub.stop();
    }
  });
});
