/**
 * Test build only: drives Panza in a real (headless) Thunderbird the way the popup does,
 * over a "panza-popup" port to the real background, and prints what happened to the
 * compose windows as one `PANZA-TB-RESULT {json}` line on Thunderbird's stdout.
 */
const api = /** @type {any} */ (globalThis).messenger;

const EML = [
  'From: Bob Stone <bob.stone@example.org>',
  'To: Ada Whitfield <ada@whitfield.example>',
  'Subject: Dinner on Friday',
  'Date: Tue, 03 Mar 2026 09:12:00 +0000',
  'Message-ID: <5e1f.bob@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=UTF-8',
  '',
  'Great. 7pm? I can book the table for four if Carol and Dan come too.',
  '',
  'Bob',
  '',
].join('\r\n');

/** @type {Map<number, any>} */
const states = new Map();
const port = api.runtime.connect({ name: 'panza-popup' });
port.onMessage.addListener((/** @type {any} */ m) => {
  if (m.type === 'state') states.set(m.tabId, m.state);
});

/**
 * @param {() => any} check
 * @param {number} [ms]
 * @param {string} [what]
 */
async function until(check, ms = 30_000, what = 'condition') {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => {
      setTimeout(r, 50);
    });
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** @param {number} tabId */
const details = (tabId) => api.compose.getComposeDetails(tabId);

/**
 * Start a draft as the popup does; resolves once it is running.
 * @param {number} tabId
 * @param {string} instruction
 */
async function startDraft(tabId, instruction) {
  states.delete(tabId);
  port.postMessage({ type: 'watch', tabId });
  port.postMessage({ type: 'draft', tabId, instruction });
  await until(() => states.get(tabId)?.running, 10_000, 'the draft to start');
}

/** @param {number} tabId */
async function finished(tabId) {
  await until(() => states.get(tabId) && !states.get(tabId).running, 60_000, 'the draft to finish');
  return states.get(tabId);
}

/** @param {number} tabId */
async function buttonOf(tabId) {
  return { title: await api.composeAction.getTitle({ tabId }), popup: await api.composeAction.getPopup({ tabId }) };
}

async function inbox() {
  const [account] = await api.accounts.list();
  const root = account.rootFolder ?? { accountId: account.id, path: '/' };
  const subs = await api.folders.getSubFolders(root.id ?? root, false);
  return subs.find((/** @type {any} */ f) => f.name === 'Inbox') ?? (await api.folders.create(root.id ?? root, 'Inbox'));
}

async function run() {
  /** @type {Record<string, any>} */
  const out = {};
  const commands = await api.commands.getAll();
  out.shortcut = commands.find((/** @type {any} */ c) => c.name === '_execute_compose_action')?.shortcut ?? null;

  // A reply in HTML, with an empty instruction: "reply to this".
  const folder = await inbox();
  const message = await api.messages.import(new File([EML], 'bob.eml', { type: 'message/rfc822' }), folder.id ?? folder);
  const reply = await api.compose.beginReply(message.id, 'replyToSender');
  await until(async () => /moz-cite-prefix/.test((await details(reply.id)).body ?? ''), 20_000, 'the reply to be quoted');
  out.replyButton = await buttonOf(reply.id);
  const replyBefore = await details(reply.id);
  await startDraft(reply.id, '');
  out.replyState = await finished(reply.id);
  const replyAfter = await details(reply.id);
  out.reply = { type: replyBefore.type, before: replyBefore.body, after: replyAfter.body };

  // A new plain-text message with a signature.
  const plain = await api.compose.beginNew({ to: ['Carol Diaz <carol.diaz@example.org>'], subject: 'Team lunch', isPlainText: true, plainTextBody: '\n-- \nAda Whitfield\n' });
  out.plainButton = await buttonOf(plain.id);
  await startDraft(plain.id, 'Invite Carol to lunch on Thursday');
  out.plainState = await finished(plain.id);
  const plainAfter = await details(plain.id);
  out.plain = { isPlainText: plainAfter.isPlainText, after: plainAfter.plainTextBody };

  // Stop in the middle of a long draft.
  const long = await api.compose.beginNew({ to: ['dan@example.org'], subject: 'Long one', body: '<p><br></p>' });
  await startDraft(long.id, 'Write slowly');
  await until(async () => /word2 /.test((await details(long.id)).body ?? ''), 20_000, 'the first words');
  const during = (await details(long.id)).body;
  port.postMessage({ type: 'stop', tabId: long.id });
  out.stopState = await finished(long.id);
  const stopped = (await details(long.id)).body;
  await new Promise((r) => {
    setTimeout(r, 500);
  });
  out.stop = { during, at: stopped, later: (await details(long.id)).body };

  // The user edits the drafted reply and sends it (to the Outbox: no server needed); the
  // background reports the text sent as feedback, which the test reads from the daemon's side.
  const edited = (await details(reply.id)).body?.replace('Ada<br>', 'Ada<br>PS: thanks!<br>');
  await api.compose.setComposeDetails(reply.id, { body: edited });
  out.sent = await api.compose.sendMessage(reply.id, { mode: 'sendLater' });
  await new Promise((r) => {
    setTimeout(r, 2000); // the feedback's way to the daemon: one frame through the host
  });
  return out;
}

run().then(
  (out) => console.log(`PANZA-TB-RESULT ${JSON.stringify(out)}`),
  (error) => console.log(`PANZA-TB-RESULT ${JSON.stringify({ error: `${error}\n${error?.stack ?? ''}` })}`),
);
