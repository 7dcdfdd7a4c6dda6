// Drives code-server (the VS Code workbench) in Debian's Chromium and checks
// what a user of the podsec extension sees. Run by run.sh:
//   VSCODE_E2E_RUN=<run folder> PODSEC_BUNDLED=<server in the extension> node drive.mjs <port>
// Prints `PASS name` or `FAIL name :: detail` per check; exits 1 on any failure.
import { chromium } from 'playwright-core';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const port = process.argv[2];
const RUN = process.env.VSCODE_E2E_RUN;
const BUNDLED = process.env.PODSEC_BUNDLED;
if (!port || !RUN || !BUNDLED) throw new Error('usage: VSCODE_E2E_RUN=... PODSEC_BUNDLED=... node drive.mjs PORT');
const WORKSPACE = `${RUN}/ws`;
const SETTINGS = `${RUN}/data/User/settings.json`;
const SHOTS = `${RUN}/shots`;
mkdirSync(SHOTS, { recursive: true });

const failures = [];
let page;
/** Prints `PASS name` or `FAIL name :: detail`; a failure leaves a screenshot in the run's shots/ folder. */
async function check(name, ok, detail = '') {
  if (!ok) failures.push(name);
  const shown = detail ? ` :: ${String(detail).replace(/\s+/g, ' ').slice(0, 300)}` : '';
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${ok ? '' : shown}`);
  if (!ok && page) {
    const file = `${SHOTS}/${String(failures.length).padStart(2, '0')}-${name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60)}.png`;
    await page.screenshot({ path: file }).catch(() => {});
  }
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const visible = (locator, timeout) => locator.first().waitFor({ state: 'visible', timeout }).then(() => true, () => false);
// What a locator shows, with every run of white space (wrapped lines, NBSP) as one space.
const text = async (locator) => ((await locator.first().innerText().catch(() => '')) ?? '').replace(/[\s\u00a0]+/g, ' ');

async function palette(page, title) {
  const input = page.locator('.quick-input-widget input').first();
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.keyboard.press('Escape');
    // Keys go to the workbench, not to a widget that keeps them.
    await page.locator('.tabs-container .tab.active').first().click().catch(() => {});
    await page.mouse.move(700, 700);
    await page.keyboard.press('Control+Shift+P');
    if (await visible(input, 5000)) break;
  }
  // The palette opens with `>` typed and the focus in its input.
  await page.keyboard.type(title);
  await sleep(800);
  await page.keyboard.press('Enter');
  await sleep(500);
}

async function open(page, name) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15000 });
  await input.fill(name);
  await sleep(1200);
  await page.keyboard.press('Enter');
  await page.locator(`.tab[aria-label*="${name}"]`).first().waitFor({ timeout: 20000 });
  await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 20000 });
}

async function goTo(page, line, column) {
  await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15000 });
  await input.fill(`:${line}:${column}`);
  await sleep(400);
  await page.keyboard.press('Enter');
  await sleep(400);
}

/** Opens the Settings UI on the User tab, filtered to `query`; returns the row of the setting described by `description`. */
async function settingRow(page, query, description) {
  await palette(page, 'Preferences: Open User Settings');
  await visible(page.locator('.settings-editor'), 20000);
  await sleep(1500);
  // Away from the tab just clicked, whose tooltip would cover the search box.
  await page.mouse.move(700, 700);
  await sleep(700);
  await page.locator('.settings-editor .suggest-input-container').first().click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(query);
  await sleep(2000);
  return page.locator('.settings-editor .setting-item-contents', { hasText: description }).first();
}

/** Sets a setting in the User settings.json, as a user editing the file does (VS Code watches it). */
function setUserSetting(key, value) {
  const settings = JSON.parse(readFileSync(SETTINGS, 'utf8'));
  settings[key] = value;
  writeFileSync(SETTINGS, `${JSON.stringify(settings, null, 2)}\n`);
}

/** Waits up to `ms` for `count()` of a locator to satisfy `ok`. */
async function until(locator, ok, ms) {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (ok(await locator.count())) return true;
    await sleep(500);
  }
  return false;
}

/** The command lines of the running processes started from the bundled server. */
function servers() {
  const found = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
      if (argv[0] === BUNDLED) found.push(argv);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** The hover shown with the mouse on the first `word` of the active editor ('' when none shows). */
async function hoverOn(page, word) {
  await page.mouse.move(5, 500);
  const key = page.locator('.editor-instance .monaco-editor .view-line span', { hasText: new RegExp(`^${word}$`) }).first();
  const box = await key.boundingBox().catch(() => null);
  if (!box) return '';
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await sleep(300);
  await page.mouse.move(box.x + box.width / 2 + 1, box.y + box.height / 2);
  const widget = page.locator('.monaco-hover:visible');
  return (await visible(widget, 15000)) ? text(widget) : '';
}

async function serverLog(page) {
  await palette(page, 'podsec: Show Server Log');
  await sleep(1500);
  return text(page.locator('.output-view .view-lines, .panel .output .view-lines'));
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();

try {
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(WORKSPACE)}`, { timeout: 60000 });
  await check('the workbench loads', await visible(page.locator('.monaco-workbench'), 120000));
  await sleep(3000);

  // --- Diagnostics, from the server the extension carries.
  await open(page, 'deploy.yaml');
  await check('a squiggle under the container fsGroup', await visible(page.locator('.monaco-editor .squiggly-error'), 90000));
  await page.keyboard.press('Control+Shift+M');
  await visible(page.locator('.markers-panel .monaco-list-row'), 20000);
  await sleep(1500);
  const rows = (await page.locator('.markers-panel .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
  const row = rows.find((r) => r.includes('fsGroup')) ?? '';
  await check('the Problems panel: pod-only-field at line 14, column 13', /pod-only-field/.test(row) && /Ln 14, Col 13/.test(row), rows.join(' | '));
  const log = await serverLog(page);
  await check('the server log: the bundled server started', /found via bundled/.test(log), log);
  const commands = servers().map((argv) => argv.join(' '));
  await check('the server runs as `podsec lsp` (no --stdio added)', commands.length === 1 && commands[0] === `${BUNDLED} lsp`, commands.join(' | '));
  await page.locator('.tab[aria-label*="deploy.yaml"]').first().click();
  await sleep(800);

  // --- Inlay hints and the verdict lens.
  const view = await text(page.locator('.editor-instance .monaco-editor .view-lines'));
  await check('an inlay hint: runAsNonRoot inherited from the pod', view.includes('runAsNonRoot: true (pod)'), view);
  const lens = page.locator('.editor-instance .monaco-editor .codelens-decoration a').first();
  const lensText = await text(lens);
  await check('the verdict code lens above kind:', /baseline/.test(lensText) && /restricted/.test(lensText), lensText);
  if (lensText) {
    await lens.click();
    const pick = page.locator('.quick-input-widget');
    const shown = await visible(pick, 15000);
    const items = shown ? await text(pick) : '';
    await check('clicking the lens lists the violations', shown && /fsGroup|seccomp|capabilit/i.test(items), items);
    await page.keyboard.press('Escape');
  }

  // --- Hover.
  const hover = await hoverOn(page, 'fsGroup');
  await check('hover on fsGroup: its type and scope', /fsGroup/.test(hover) && /pod-only|pod-level|pod securityContext/i.test(hover), hover);
  await page.mouse.move(5, 500);
  await page.keyboard.press('Escape');

  // --- The quick fix, applied and saved.
  await goTo(page, 14, 15);
  await page.keyboard.press('Control+.');
  const menu = page.locator('.action-widget');
  const menuShown = await visible(menu, 15000);
  const actions = menuShown ? (await menu.locator('.monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ')) : [];
  const wanted = 'Move `fsGroup` to the pod securityContext';
  await check('the quick fix menu offers the move', actions.some((a) => a.includes(wanted)), actions.join(' | '));
  const focused = (await menu.locator('.monaco-list-row.focused').first().getAttribute('aria-label').catch(() => '')) ?? '';
  if (focused.includes(wanted)) {
    await page.keyboard.press('Enter');
  } else {
    await menu.locator('.monaco-list-row', { hasText: 'Move `fsGroup`' }).first().click({ force: true }).catch(() => {});
  }
  await sleep(1500);
  await page.keyboard.press('Control+S');
  await sleep(1500);
  const fixed = readFileSync(`${WORKSPACE}/deploy.yaml`, 'utf8');
  const moved = /\n {6}securityContext:\n(?: {8}.*\n)*? {8}fsGroup: 2000\n/.test(fixed) && !/\n {12}fsGroup/.test(fixed);
  await check('the fix moved fsGroup to the pod securityContext, on disk', moved, fixed);
  const left = await page.locator('.editor-instance .monaco-editor .squiggly-error').count();
  await check('no error squiggle after the fix', left === 0, `${left} left`);

  // --- A setting changed in the Settings UI re-publishes, without a restart.
  await open(page, 'pod.yaml');
  await check('pod.yaml: a warning for privileged: true', await visible(page.locator('.editor-instance .monaco-editor .squiggly-warning'), 60000));
  const profileRow = await settingRow(page, 'podsec.profile', 'The Pod Security Standards profile');
  const select = profileRow.locator('select').first();
  const hasSelect = (await select.count()) > 0;
  await check('the Settings UI: a dropdown for podsec.profile', hasSelect, await text(profileRow));
  if (hasSelect) await select.selectOption({ label: 'privileged' });
  await sleep(1500);
  await check('the choice is saved in the User settings', /"podsec.profile": "privileged"/.test(readFileSync(SETTINGS, 'utf8')), readFileSync(SETTINGS, 'utf8'));
  await page.locator('.tab[aria-label*="pod.yaml"]').first().click();
  let cleared = false;
  for (let i = 0; i < 60 && !cleared; i++) {
    await sleep(500);
    cleared = (await page.locator('.editor-instance .monaco-editor .squiggly-warning').count()) === 0;
  }
  await check('profile privileged in settings.json: the warning goes, no restart', cleared);
  const starts = ((await serverLog(page)).match(/Starting /g) ?? []).length;
  await check('the server was started once', starts === 1, `${starts} starts`);

  // --- A server path that is wrong: a message that does not block, and
  // the Settings UI fixes it.
  writeFileSync(`${RUN}/podsec-copy`, readFileSync(BUNDLED), { mode: 0o644 });
  const pathRow = await settingRow(page, 'podsec.server.path', 'Path to the');
  const pathInput = pathRow.locator('input').first();
  const hasInput = (await pathInput.count()) > 0;
  await check('the Settings UI: a text box for podsec.server.path (User tab)', hasInput, await text(pathRow));
  if (hasInput) {
    await pathInput.click();
    await pathInput.fill(`${RUN}/podsec-copy`);
    await page.keyboard.press('Tab');
  } else {
    // Without the text box, as in settings.json, so the checks below still run.
    setUserSetting('podsec.server.path', `${RUN}/podsec-copy`);
  }
  const toast = page.locator('.notification-toast', { hasText: 'not executable' });
  await check('a server path that cannot run: an error message', await visible(toast, 60000), await text(page.locator('.notification-toast')));
  // The command works while the message is up: nothing waits for it.
  const logWhileShown = await serverLog(page);
  await check('Show Server Log works while the message is up', /not executable/.test(logWhileShown), logWhileShown);
  await check('the message is still up', await visible(toast, 5000));
  const button = toast.locator('.monaco-button', { hasText: 'Open Settings' });
  if (await button.count()) {
    await button.first().click();
    await visible(page.locator('.settings-editor'), 20000);
    await sleep(2500);
    const tab = await text(page.locator('.settings-editor .settings-tabs-widget .action-label.checked'));
    await check('Open Settings opens the User tab', /^User/.test(tab.trim()), tab);
    const row = page.locator('.settings-editor .setting-item-contents', { hasText: 'Path to the' }).first();
    const input = row.locator('input').first();
    const editable = (await input.count()) > 0;
    await check('Open Settings shows podsec.server.path with a text box', editable, await text(row));
    if (editable) {
      await input.click();
      await input.fill(BUNDLED);
      await page.keyboard.press('Tab');
      await sleep(1000);
    }
  } else {
    await check('the message has an Open Settings button', false, await text(toast));
  }
  if (!/"podsec\.server\.path": /.test(readFileSync(SETTINGS, 'utf8')) || !readFileSync(SETTINGS, 'utf8').includes(`"${BUNDLED}"`)) {
    setUserSetting('podsec.server.path', BUNDLED);
  }
  await page.locator('.tab[aria-label*="pod.yaml"]').first().click();
  // The profile is still privileged: pod.yaml's information finding shows the server runs.
  await check(
    'the path typed in the Settings UI starts the server: diagnostics again',
    await visible(page.locator('.editor-instance .monaco-editor .squiggly-info'), 60000),
    readFileSync(SETTINGS, 'utf8'),
  );
  const saved = /"podsec\.server\.path": "([^"]*)"/.exec(readFileSync(SETTINGS, 'utf8'))?.[1];
  await check('the path is saved in the User settings and honoured', saved === BUNDLED && /found via setting/.test(await serverLog(page)), saved);

  // --- A rule level set in settings.json re-publishes, without a restart.
  const startsBefore = ((await serverLog(page)).match(/Starting /g) ?? []).length;
  await page.locator('.tab[aria-label*="pod.yaml"]').first().click();
  // As a user does it: the User settings.json opened in the editor, edited and saved.
  await palette(page, 'Preferences: Open User Settings (JSON)');
  await sleep(1500);
  const edited = JSON.parse(readFileSync(SETTINGS, 'utf8'));
  edited['podsec.rules'] = { 'read-only-root-filesystem': 'error' };
  await page.keyboard.press('Control+A');
  // insertText: no auto-closed brackets or quotes, as a paste.
  await page.keyboard.insertText(JSON.stringify(edited, null, 2));
  await page.keyboard.press('Control+S');
  await sleep(1000);
  await page.locator('.tab[aria-label*="pod.yaml"]').first().click();
  await check(
    'podsec.rules in settings.json: the information finding becomes an error',
    await until(page.locator('.editor-instance .monaco-editor .squiggly-error'), (n) => n > 0, 30000),
    readFileSync(SETTINGS, 'utf8'),
  );
  const startsAfter = ((await serverLog(page)).match(/Starting /g) ?? []).length;
  await check('no restart for a rule level', startsAfter === startsBefore, `${startsBefore} -> ${startsAfter} starts`);

  // --- A Helm chart: values.yaml gets the findings of what flows from it.
  await open(page, 'values.yaml');
  await check('values.yaml of a chart: a squiggle under the container fsGroup', await visible(page.locator('.editor-instance .monaco-editor .squiggly-error'), 60000));
  const valuesHover = await hoverOn(page, 'fsGroup');
  await check(
    'hover on a values key: pod-only, and the container it flows into',
    /securityContext\.fsGroup/.test(valuesHover) && /pod-only/.test(valuesHover) && /container `ledger`/.test(valuesHover) && /templates\/deployment\.yaml:22/.test(valuesHover),
    valuesHover,
  );
  await page.mouse.move(5, 500);
  await page.keyboard.press('Escape');
  await goTo(page, 8, 4);
  await page.keyboard.press('Control+.');
  const valuesMenu = page.locator('.action-widget');
  const valuesActions = (await visible(valuesMenu, 15000)) ? (await valuesMenu.locator('.monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ')) : [];
  await check('values.yaml: the quick fix moves fsGroup to podSecurityContext', valuesActions.some((a) => a.includes('Move `fsGroup` to `podSecurityContext`')), valuesActions.join(' | '));
  await page.keyboard.press('Escape');

  // --- Kustomize: a base and a patch judged in the overlay that reads them
  // (under the settings above: profile privileged, read-only-root-filesystem an error).
  await open(page, 'storefront.yaml');
  await check('a base: an error squiggle where the overlay contradicts it', await visible(page.locator('.editor-instance .monaco-editor .squiggly-error'), 60000));
  // (Markdown code spans show without their backticks.)
  // (A hover can close before it is read while the workbench is busy: asked again.)
  let baseHover = '';
  for (let attempt = 0; attempt < 3 && !/In overlays/.test(baseHover); attempt += 1) {
    if (attempt > 0) await page.mouse.move(5, 500);
    baseHover = await hoverOn(page, 'securityContext');
  }
  await check(
    'hover on the base securityContext: what the overlay makes of it',
    /In overlays/.test(baseHover) && /storefront\/overlays\/debug sets `?privileged: true`? \(storefront\/overlays\/debug\/debug-patch\.yaml:11\)/.test(baseHover),
    baseHover,
  );
  await page.mouse.move(5, 500);
  await page.keyboard.press('Escape');
  await open(page, 'debug-patch.yaml');
  await page.keyboard.press('Control+Shift+M');
  await sleep(3000);
  const overlayRows = (await page.locator('.markers-panel .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
  const storefront = overlayRows.filter((r) => r.includes('container `storefront`'));
  await check(
    'the Problems panel: the base line the patch contradicts, naming the overlay',
    storefront.some((r) => /conflicting-settings/.test(r) && /in overlay storefront\/overlays\/debug/.test(r) && /Ln 18, Col 39/.test(r)),
    storefront.join(' | '),
  );
  // Judged alone, the patch would lack readOnlyRootFilesystem (an error here).
  await check(
    'the five-line patch is not judged as a whole Deployment',
    storefront.every((r) => /in overlay/.test(r)) && (await page.locator('.editor-instance .monaco-editor .squiggly-error').count()) === 0,
    storefront.join(' | '),
  );
} catch (error) {
  await check('the script ran to the end', false, error?.stack ?? String(error));
} finally {
  await page.screenshot({ path: `${SHOTS}/last.png` }).catch(() => {});
  await browser.close();
  console.log(`vscode end-to-end: ${failures.length ? `${failures.length} failed` : 'all passed'}`);
  process.exit(failures.length ? 1 : 0);
}
