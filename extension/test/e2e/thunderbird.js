/**
 * Real Thunderbird (Debian's, --headless) with a throwaway profile: a Local Folders
 * account with an identity, Panza side-loaded from the built package plus a test-only
 * driver page, and the real native host registered under a throwaway HOME.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PYTHON } from './daemon.js';

export const THUNDERBIRD = process.env.THUNDERBIRD ?? '/usr/bin/thunderbird';
const GECKO_ID = 'panza@panza.org';
const DRIVER = new URL('../thunderbird-driver/', import.meta.url);

const PREFS = {
  'xpinstall.signatures.required': false,
  'extensions.autoDisableScopes': 0,
  'extensions.enabledScopes': 15,
  'extensions.startupScanScopes': 15,
  'mail.shell.checkDefaultClient': false,
  'mail.provider.suppress_dialog_on_startup': true,
  'mail.spotlight.firstRunDone': true,
  'mail.winsearch.firstRunDone': true,
  'mailnews.start_page.enabled': false,
  'mail.rights.version': 1,
  'app.update.enabled': false,
  'app.update.auto': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'devtools.console.stdout.content': true,
  'mail.accountmanager.accounts': 'account1',
  'mail.accountmanager.defaultaccount': 'account1',
  'mail.accountmanager.localfoldersserver': 'server1',
  'mail.account.account1.server': 'server1',
  'mail.account.account1.identities': 'id1',
  'mail.server.server1.type': 'none',
  'mail.server.server1.hostname': 'Local Folders',
  'mail.server.server1.userName': 'nobody',
  'mail.server.server1.name': 'Local Folders',
  'mail.identity.id1.fullName': 'Ada Whitfield',
  'mail.identity.id1.useremail': 'ada@whitfield.example',
  'mail.identity.id1.valid': true,
  'mail.identity.id1.compose_html': true,
  'mail.identity.id1.reply_on_top': 1,
  'mail.identity.id1.htmlSigFormat': false,
  'mail.identity.id1.htmlSigText': 'Ada Whitfield\nWhitfield Lab',
  'mail.identity.id1.sig_on_reply': true,
  'mail.identity.id1.attach_signature': false,
};

/** Why Thunderbird tests cannot run here, or null. In CI a missing Thunderbird is a failure. */
export function thunderbirdMissing() {
  const why = !existsSync(THUNDERBIRD)
    ? `${THUNDERBIRD} not found (apt-get install thunderbird, or make sysdeps)`
    : !existsSync(PYTHON)
      ? `${PYTHON} not found (make venv)`
      : null;
  if (why && process.env.CI && process.env.CI !== 'false') throw new Error(`CI must run the Thunderbird tests: ${why}`);
  return why;
}

/**
 * The built Thunderbird package plus the driver, unpacked in `dir`, with the extra
 * permissions the driver needs (a message to reply to).
 * @param {string} built dist/thunderbird as extension/build.py unpacks it
 * @param {string} dir
 */
function testBuild(built, dir) {
  cpSync(built, dir, { recursive: true });
  cpSync(DRIVER, join(dir, 'driver'), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  manifest.background.scripts.push('driver/boot.js');
  manifest.permissions.push('accountsRead', 'accountsFolders', 'messagesImport', 'compose.send');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

/**
 * Run Thunderbird until the driver prints its result; the parsed result.
 * @param {{tmp: string, home: string, built: string, timeoutMs?: number}} options
 * @returns {Promise<any>}
 */
export async function runThunderbird({ tmp, home, built, timeoutMs = 120_000 }) {
  const profile = join(tmp, 'tb-profile');
  const userHome = join(tmp, 'tb-home');
  const addon = join(tmp, 'tb-addon');
  mkdirSync(join(profile, 'extensions'), { recursive: true });
  testBuild(built, addon);
  // A proxy file: Gecko side-loads the unpacked add-on at this path.
  writeFileSync(join(profile, 'extensions', GECKO_ID), `${addon}\n`);
  writeFileSync(join(profile, 'user.js'), Object.entries(PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('\n'));

  const hosts = join(userHome, '.mozilla', 'native-messaging-hosts');
  mkdirSync(hosts, { recursive: true });
  const launcher = join(userHome, 'panza-host');
  writeFileSync(launcher, `#!/bin/sh\nexport PANZA_HOME='${home}'\nexec '${PYTHON}' -m panza.native_host "$@"\n`, { mode: 0o755 });
  writeFileSync(
    join(hosts, 'org.panza.host.json'),
    JSON.stringify({ name: 'org.panza.host', description: 'Panza (end-to-end test)', path: launcher, type: 'stdio', allowed_extensions: [GECKO_ID] }),
  );

  const proc = spawn(THUNDERBIRD, ['--headless', '--no-remote', '--profile', profile], {
    env: { ...process.env, HOME: userHome, XDG_CONFIG_HOME: join(userHome, '.config'), MOZ_CRASHREPORTER_DISABLE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`no result from Thunderbird in ${timeoutMs} ms; its output ended with:\n${output.slice(-3000)}`));
    }, timeoutMs);
    /** @param {Buffer} chunk */
    const read = (chunk) => {
      output += chunk.toString();
      const found = /PANZA-TB-RESULT (\{.*\})"?\s*$/m.exec(output);
      if (found) {
        clearTimeout(timer);
        proc.kill('SIGTERM');
        const raw = found[1];
        // console.log output is quoted by Gecko: undo its escaping.
        resolve(JSON.parse(raw.includes('\\"') ? JSON.parse(`"${raw}"`) : raw));
      }
    };
    proc.stdout.on('data', read);
    proc.stderr.on('data', read);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Thunderbird exited (${code}) before the driver reported:\n${output.slice(-3000)}`));
    });
  });
}
