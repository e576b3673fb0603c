/**
 * The real Panza daemon for the browser tests: `panza init` into a temp PANZA_HOME,
 * `panza daemon` started and stopped as tests/server/test_daemon.py does, and a
 * one-shot protocol call over its socket.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tick } from '../fakes.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const PYTHON = process.env.PANZA_PYTHON ?? join(REPO, '.venv/bin/python');

/** @param {string} home */
export const socketPath = (home) => join(home, 'run', 'daemon.sock');

const OFFLINE = { HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' };

/**
 * A PANZA_HOME with `panza init`'s config.
 * @param {string} home
 */
export function initHome(home) {
  const env = { ...process.env, ...OFFLINE, PANZA_HOME: home };
  const init = spawnSync(PYTHON, ['-m', 'panza.daemon.cli', 'init', '--name', 'Ada Whitfield', '--email', 'ada.whitfield@gmail.com'], { env, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`panza init failed: ${init.stderr}`);
  return home;
}

/**
 * Give `home` what drafting needs, with the daemon stopped: a tiny model and a trained
 * adapter (draft_home.py), or whatever the shell command in PANZA_E2E_PREPARE sets up
 * instead (run with PANZA_HOME set, in the repository).
 * @param {string} home
 */
export function prepareDrafting(home) {
  const env = { ...process.env, ...OFFLINE, PANZA_HOME: home };
  const prepare = process.env.PANZA_E2E_PREPARE;
  const run = prepare
    ? spawnSync('/bin/sh', ['-c', prepare], { env, encoding: 'utf8', cwd: REPO, timeout: 600_000 })
    : spawnSync(PYTHON, [join(REPO, 'extension/test/e2e/draft_home.py')], { env, encoding: 'utf8', cwd: REPO, timeout: 600_000 });
  if (run.status !== 0) throw new Error(`preparing ${home} for drafting failed: ${run.stderr || run.error}`);
}

/**
 * The draft the daemon stored last (its `drafts` table), as {instruction, text}.
 * @param {string} home
 * @returns {{instruction: string, text: string}}
 */
export function lastDraft(home) {
  const code = [
    'import json, sqlite3, sys',
    'from panza.daemon import paths',
    'db = sqlite3.connect(paths.resolve().db_file)',
    'row = db.execute("SELECT instruction, text FROM drafts ORDER BY rowid DESC LIMIT 1").fetchone()',
    'print(json.dumps({"instruction": row[0], "text": row[1]}))',
  ].join('\n');
  const run = spawnSync(PYTHON, ['-c', code], { env: { ...process.env, PANZA_HOME: home }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`reading the stored draft failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/**
 * One request, straight to the daemon socket: its reply (events are dropped).
 * @param {string} home
 * @param {string} method
 * @param {object} [params]
 * @param {number} [timeoutMs]
 * @returns {Promise<any>}
 */
export function call(home, method, params = {}, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath(home));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${method}: no reply in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', () => socket.write(`${JSON.stringify({ v: 1, id: 'e2e', method, params })}\n`));
    readline.createInterface({ input: socket }).on('line', (line) => {
      const message = JSON.parse(line);
      if (message.id === 'e2e' && 'ok' in message) {
        clearTimeout(timer);
        socket.end();
        resolve(message);
      }
    });
  });
}

export class Daemon {
  /** @param {string} home */
  constructor(home) {
    this.home = home;
    /** @type {import('node:child_process').ChildProcess|null} */
    this.proc = null;
    this.log = `${home}-daemon.log`;
  }

  async start() {
    const out = openSync(this.log, 'a');
    this.proc = spawn(PYTHON, ['-m', 'panza.daemon.cli', 'daemon'], {
      env: { ...process.env, ...OFFLINE, PANZA_HOME: this.home, PANZA_TORCH_THREADS: process.env.PANZA_TORCH_THREADS ?? '1' },
      stdio: ['ignore', out, out],
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`panza daemon exited (${this.proc.exitCode}); see ${this.log}`);
      if (existsSync(socketPath(this.home))) {
        try {
          if ((await call(this.home, 'ping', {}, 2000)).ok) return this;
        } catch {
          // not listening yet
        }
      }
      await tick(100);
    }
    throw new Error(`panza daemon did not answer within 60 s; see ${this.log}`);
  }

  /** SIGTERM and wait; the exit status (0 for a clean stop). */
  async stop() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return proc?.exitCode ?? 0;
    const exited = new Promise((resolve) => {
      proc.once('exit', (code) => resolve(code));
    });
    proc.kill('SIGTERM');
    const code = await Promise.race([exited, tick(30_000).then(() => 'timeout')]);
    if (code === 'timeout') proc.kill('SIGKILL');
    this.proc = null;
    return code;
  }
}
