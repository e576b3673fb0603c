/**
 * "Draft with Panza" latency in the Chromium end-to-end setup (extension/test/e2e):
 * from the click on the button to the first token shown in the Gmail body, minus the
 * model's own time to first token. Run by bench_extension.py; prints the figures as JSON.
 *
 * The model's time to first token is measured the same way the extension's request is
 * served, straight on the daemon socket (same request, no browser, no host), so the
 * difference is what the extension, the service worker, native messaging and the host
 * add. Figures:
 *  - pipeline_click_to_first_token_ms: a stand-in daemon whose "model" answers at once
 *    (the real daemon cannot draft yet); the whole browser -> host -> socket -> page path.
 *  - click_to_first_token_minus_model_ms: the real daemon drafting with a tiny model
 *    (extension/test/e2e/draft_home.py); when its `draft` is not there yet, instead
 *    pipeline_click_to_error_shown_ms: its `unavailable` reply, from click to message shown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';
import { buildExtension, launch, missing } from '../extension/test/e2e/browser.js';
import { Daemon, initHome, prepareDrafting, socketPath } from '../extension/test/e2e/daemon.js';
import { compose, openGmail, prepare, times } from '../extension/test/e2e/page.js';
import { StubDaemon } from '../extension/test/e2e/stub-daemon.js';

const N = Number(process.argv[2] ?? 20);
const WARMUP = 3;
const TARGET_MS = 150;
const INSTRUCTION = 'Say 7pm works';

/** @param {number[]} xs @param {number} q */
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.round(q * (xs.length - 1)))];
/** @param {number} x */
const ms = (x) => Math.round(x * 1000) / 1000;

/**
 * Time from writing one `draft` request on the daemon socket to its first token, or to
 * its reply when no token comes. Also returns the reply.
 * @param {string} home
 * @param {object} params
 * @returns {Promise<{ms: number, reply: any}>}
 */
function direct(home, params) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath(home));
    let t0 = 0;
    let first = 0;
    socket.on('error', reject);
    socket.on('connect', () => {
      t0 = performance.now();
      socket.write(`${JSON.stringify({ v: 1, id: 'b', method: 'draft', params })}\n`);
    });
    readline.createInterface({ input: socket }).on('line', (line) => {
      const m = JSON.parse(line);
      if (m.event === 'token' && !first) first = performance.now();
      if ('ok' in m) {
        socket.end();
        resolve({ ms: (first || performance.now()) - t0, reply: m });
      }
    });
  });
}

/**
 * Click the inline reply's button `n` times; per click, ms from the click to `until`.
 * @param {import('playwright-core').Page} page
 * @param {'firstText'|'status'} until
 * @param {string} doneKind the status kind that ends one run
 */
async function clicks(page, n, until, doneKind) {
  const reply = compose(page, '#inline-reply');
  const out = [];
  let empty = 0;
  while (out.length < n) {
    await reply.input.fill(INSTRUCTION);
    await page.evaluate(() => { /** @type {any} */ (window).__panzaTimes.status.length = 0; });
    await reply.button.click();
    await page.waitForFunction((kind) => document.querySelector('#inline-reply [data-panza="status"]')?.getAttribute('data-kind') === kind, doneKind, { timeout: 300_000 });
    const t = await times(page);
    const end = until === 'firstText' ? t.firstText : t.status.find((/** @type {[number, string]} */ s) => !/^Drafting/.test(s[1]))?.[0];
    await page.evaluate(() => document.querySelector('#inline-reply [data-panza="status"]')?.removeAttribute('data-kind'));
    if (t.click != null && end != null) {
      out.push(end - t.click);
    } else if ((empty += 1) > n) {
      // A tiny model sometimes ends a draft at once (nothing to show); a few are fine.
      throw new Error(`no ${until} after ${empty} clicks: ${JSON.stringify(t)}`);
    }
  }
  return out;
}

/** @param {number} n @param {() => Promise<number>} fn */
async function repeat(n, fn) {
  const out = [];
  for (let i = 0; i < n; i += 1) out.push(await fn());
  return out;
}

async function main() {
  const why = missing();
  if (why) throw new Error(`cannot run: ${why}`);
  const tmp = mkdtempSync(join(tmpdir(), 'bench-extension-'));
  const figures = {};
  const extension = buildExtension(join(tmp, 'dist'));
  const home = initHome(join(tmp, 'home'));
  const context = await launch({ profile: join(tmp, 'profile'), home, extension });
  await prepare(context);
  /** @type {any} the request the page sends, as the stand-in daemon received it */
  let params;
  try {
    // 1. Stand-in daemon, instant model.
    const stub = await new StubDaemon(socketPath(home), { tokens: ['Hi', ' Bob'], delayMs: 1 }).start();
    let page = await openGmail(context);
    await clicks(page, WARMUP, 'firstText', 'done');
    const stubClicks = await clicks(page, N, 'firstText', 'done');
    params = stub.received('draft')[0].params;
    const stubDirect = await repeat(N, async () => (await direct(home, params)).ms);
    await page.close();
    await stub.stop();
    figures.pipeline_click_to_first_token_ms = {
      value: ms(pct(stubClicks, 0.5) - pct(stubDirect, 0.5)),
      unit: `ms (median of ${N}; stand-in daemon whose model answers at once)`,
      target: TARGET_MS,
      baseline: { 'same request straight on the socket, to first token (ms)': ms(pct(stubDirect, 0.5)) },
    };
    figures.pipeline_click_to_first_token_p90_ms = {
      value: ms(pct(stubClicks, 0.9) - pct(stubDirect, 0.5)),
      unit: 'ms (90th percentile)',
      target: TARGET_MS,
      baseline: null,
    };

    // 2. The real daemon, with a tiny model and a trained adapter (the e2e tests' setup).
    prepareDrafting(home);
    const daemon = await new Daemon(home).start();
    try {
      const probe = await direct(home, params);
      page = await openGmail(context);
      if (probe.reply.ok) {
        await clicks(page, WARMUP, 'firstText', 'done');
        const real = await clicks(page, N, 'firstText', 'done');
        let timings = null;
        const model = await repeat(N, async () => {
          const one = await direct(home, params);
          timings = one.reply.result?.timings ?? null;
          return one.ms;
        });
        figures.click_to_first_token_minus_model_ms = {
          value: ms(pct(real, 0.5) - pct(model, 0.5)),
          unit: `ms (median of ${N}; real daemon and model)`,
          target: TARGET_MS,
          baseline: {
            "model's own time to first token, straight on the socket (ms)": ms(pct(model, 0.5)),
            'timings the daemon reported for the last of those': timings,
          },
        };
        figures.click_to_first_token_minus_model_p90_ms = {
          value: ms(pct(real, 0.9) - pct(model, 0.5)),
          unit: 'ms (90th percentile)',
          target: TARGET_MS,
          baseline: null,
        };
      } else {
        const code = probe.reply.error.code;
        await clicks(page, WARMUP, 'status', 'error');
        const errors = await clicks(page, N, 'status', 'error');
        const replies = await repeat(N, async () => (await direct(home, params)).ms);
        figures.pipeline_click_to_error_shown_ms = {
          value: ms(pct(errors, 0.5) - pct(replies, 0.5)),
          unit: `ms (median of ${N}; real daemon, draft answered ${code}: "${probe.reply.error.message}")`,
          target: TARGET_MS,
          baseline: { 'same request straight on the socket, to its reply (ms)': ms(pct(replies, 0.5)) },
        };
      }
      await page.close();
    } finally {
      await daemon.stop();
    }
  } finally {
    await context.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
