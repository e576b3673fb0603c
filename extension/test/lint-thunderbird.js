/**
 * `web-ext lint` on the Thunderbird package as `make extension` builds it. web-ext's
 * linter knows Firefox, not Thunderbird, so three of its warnings are about Firefox
 * alone and are allowed: the Thunderbird-only permissions `compose` and `messagesRead`,
 * and Firefox's data_collection_permissions key (Thunderbird 128 does not have it).
 * Any error, and any other warning or notice, fails.
 *
 * Run: node test/lint-thunderbird.js [unpacked-dir]   (default: build into a temp dir)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON } from './e2e/daemon.js';

const HERE = fileURLToPath(new URL('../', import.meta.url));
/** @type {{code: string, message: RegExp}[]} */
const FIREFOX_ONLY = [
  { code: 'MANIFEST_PERMISSIONS', message: /"(compose|messagesRead)"/ },
  { code: 'MISSING_DATA_COLLECTION_PERMISSIONS', message: /data_collection_permissions/ },
];

let dir = process.argv[2];
let tmp = null;
if (!dir) {
  tmp = mkdtempSync(join(tmpdir(), 'panza-lint-'));
  const build = spawnSync(PYTHON, [join(HERE, 'build.py'), tmp], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`extension/build.py failed: ${build.stderr}`);
  dir = join(tmp, 'thunderbird');
}
const run = spawnSync(join(HERE, 'node_modules/.bin/web-ext'), ['lint', '--source-dir', dir, '--output', 'json', '--self-hosted'], {
  encoding: 'utf8',
  env: { ...process.env, WEB_EXT_NO_CONFIG_DISCOVERY: 'true' },
});
if (tmp) rmSync(tmp, { recursive: true, force: true });
const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{')));
const found = [...report.errors, ...report.warnings, ...report.notices];
const unexpected = found.filter((m) => !FIREFOX_ONLY.some((a) => a.code === m.code && a.message.test(m.message)));
for (const m of found) {
  const allowed = !unexpected.includes(m);
  console.log(`${allowed ? 'allowed (Firefox-only)' : m._type.toUpperCase()}: ${m.code} ${m.message}${m.file ? ` (${m.file})` : ''}`);
}
if (unexpected.length) {
  console.error(`web-ext lint: ${unexpected.length} problem(s) in the Thunderbird package`);
  process.exit(1);
}
console.log(`web-ext lint: Thunderbird package clean (${report.summary.errors} errors, ${found.length} Firefox-only warnings allowed)`);
