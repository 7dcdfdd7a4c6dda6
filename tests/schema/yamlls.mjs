// The .podsec.yaml settings schema (schemas/podsec-settings.schema.json) in
// a real YAML editor language server: yaml-language-server (the engine of
// Red Hat's VS Code YAML extension, of Neovim's yamlls and of Helix's YAML
// support), spoken to over LSP stdio the way those editors do. The schema
// is bound to `.podsec.yaml` with the `yaml.schemas` setting, as a Neovim
// or Helix user would write it, and once through a `$schema` modeline.
// Prints one line per check and exits non-zero if any fails.
//   node tests/schema/yamlls.mjs [--verbose]   (tests/schema/run.sh installs the server)
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
// PODSEC_SETTINGS_SCHEMA points at another schema file (to see the checks fail).
const SCHEMA = process.env.PODSEC_SETTINGS_SCHEMA || join(HERE, '..', '..', 'schemas', 'podsec-settings.schema.json');
const SCHEMA_URI = pathToFileURL(realpathSync(SCHEMA)).href;
const RULE_CODES = Object.keys(JSON.parse(readFileSync(SCHEMA, 'utf8')).properties?.rules?.properties ?? {});
const SERVER = join(HERE, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server');
const VERBOSE = process.argv.includes('--verbose');

// What a Neovim (lspconfig yamlls) or Helix user puts in their settings.
// schemaStore is off so that the run neither downloads the SchemaStore
// catalog nor depends on the network: the schema comes from the checkout.
const SETTINGS = {
  yaml: {
    validate: true,
    completion: true,
    hover: true,
    schemaStore: { enable: false },
    schemas: { [SCHEMA_URI]: '.podsec.yaml' },
  },
};

const ROOT = realpathSync(mkdtempSync(join(tmpdir(), 'podsec-yamlls-')));
let server;
let stderr = '';
let failed = 0;
let passed = 0;

function pass(name) {
  passed++;
  console.log(`PASS ${name}`);
}
function fail(name, detail) {
  failed++;
  console.log(`FAIL ${name} :: ${detail}`);
}
function check(name, ok, detail) {
  if (ok) pass(name);
  else fail(name, detail);
}

// ---- LSP over stdio (Content-Length framing) --------------------------------

let nextId = 1;
const pending = new Map();
const diagnostics = new Map(); // uri -> { list: [[diag...], ...], last: ms }
const waiters = new Set();

function send(message) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
  server.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
  server.stdin.write(body);
}

function request(method, params, timeoutMs = 10000) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`${method}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    pending.set(id, { method, resolve, reject, timer });
    send({ id, method, params });
  });
}

function notify(method, params) {
  send({ method, params });
}

function answerConfiguration(items) {
  return items.map(({ section }) => {
    if (section === undefined || section === '') return SETTINGS;
    if (section === 'yaml') return SETTINGS.yaml;
    if (section.startsWith('yaml.')) {
      return section.slice(5).split('.').reduce((o, k) => (o == null ? null : o[k] ?? null), SETTINGS.yaml);
    }
    if (section === 'http') return {};
    return null; // '[yaml]', 'editor', ...: nothing set
  });
}

function onMessage(message) {
  if (VERBOSE) console.error('<<', JSON.stringify(message).slice(0, 400));
  if (message.id !== undefined && message.method === undefined) {
    const entry = pending.get(message.id);
    if (!entry) return;
    pending.delete(message.id);
    clearTimeout(entry.timer);
    if (message.error) entry.reject(new Error(`${entry.method}: ${JSON.stringify(message.error)}`));
    else entry.resolve(message.result);
    return;
  }
  if (message.id !== undefined) {
    // A request from the server.
    let result = null;
    if (message.method === 'workspace/configuration') result = answerConfiguration(message.params.items);
    else if (message.method === 'workspace/workspaceFolders') result = [{ uri: pathToFileURL(ROOT).href, name: 'ws' }];
    send({ id: message.id, result });
    return;
  }
  if (message.method === 'textDocument/publishDiagnostics') {
    const { uri, diagnostics: list } = message.params;
    const seen = diagnostics.get(uri) ?? { list: [], last: 0 };
    seen.list.push(list);
    seen.last = Date.now();
    diagnostics.set(uri, seen);
    for (const wake of waiters) wake();
  }
}

function startReader(stream) {
  let buffer = Buffer.alloc(0);
  stream.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const headerEnd = buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = buffer.subarray(0, headerEnd).toString('ascii');
      const match = /Content-Length: *(\d+)/i.exec(header);
      if (!match) throw new Error(`bad LSP header: ${header}`);
      const length = Number(match[1]);
      if (buffer.length < headerEnd + 4 + length) return;
      const body = buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      buffer = buffer.subarray(headerEnd + 4 + length);
      onMessage(JSON.parse(body));
    }
  });
}

// The last publication for `uri`, once the server has published at least
// once and then stayed quiet for `quietMs` (at most `timeoutMs` in all).
function settledDiagnostics(uri, { quietMs = 400, timeoutMs = 10000 } = {}) {
  const start = Date.now();
  return new Promise((resolve) => {
    const poll = () => {
      const seen = diagnostics.get(uri);
      const now = Date.now();
      if (seen && now - seen.last >= quietMs) return done(seen.list.at(-1));
      if (now - start >= timeoutMs) return done(seen ? seen.list.at(-1) : undefined);
      timer = setTimeout(poll, 50);
    };
    let timer = setTimeout(poll, 50);
    const done = (value) => {
      clearTimeout(timer);
      resolve(value);
    };
  });
}

// ---- documents --------------------------------------------------------------

const docs = new Map();
function writeDoc(folder, name, text) {
  const dir = join(ROOT, folder);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, text);
  const uri = pathToFileURL(path).href;
  docs.set(folder, { uri, text });
  return uri;
}
function open(uri, text) {
  notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
}

function labels(result) {
  const items = Array.isArray(result) ? result : result?.items ?? [];
  return items.map((item) => item.label);
}
function hoverText(result) {
  const c = result?.contents;
  if (!c) return '';
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((x) => (typeof x === 'string' ? x : x.value)).join('\n');
  return c.value ?? '';
}
function showDiag(d) {
  return `${d.range.start.line}:${d.range.start.character} ${JSON.stringify(d.message)} (${d.source ?? 'no source'})`;
}

// ---- the run ----------------------------------------------------------------

async function main() {
  server = spawn(process.execPath, [SERVER, '--stdio'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  server.stderr.on('data', (d) => (stderr += d));
  server.on('exit', (code, signal) => {
    for (const { reject, method } of pending.values()) reject(new Error(`${method}: server exited (${code ?? signal})`));
  });
  startReader(server.stdout);

  const rootUri = pathToFileURL(ROOT).href;
  const init = await request('initialize', {
    processId: process.pid,
    clientInfo: { name: 'podsec-schema-test' },
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: 'ws' }],
    capabilities: {
      workspace: { configuration: true, workspaceFolders: true, didChangeConfiguration: { dynamicRegistration: false } },
      textDocument: {
        synchronization: { dynamicRegistration: false },
        publishDiagnostics: { relatedInformation: true },
        completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } },
        hover: { contentFormat: ['markdown', 'plaintext'] },
      },
    },
  });
  const version = init?.serverInfo?.version ?? '?';
  console.log(`yaml-language-server ${version}, schema ${SCHEMA_URI}`);
  notify('initialized', {});
  notify('workspace/didChangeConfiguration', { settings: SETTINGS });
  // The server applies its settings after pulling them (workspace/
  // configuration); codeLens waits for that pull, so its answer means the
  // schema association is in place before any document is opened.
  await request('textDocument/codeLens', { textDocument: { uri: `${rootUri}/none.yaml` } });

  const cases = {
    valid: ['.podsec.yaml', 'profile: baseline\nkubernetesVersion: "1.30"\nrules:\n  read-only-root-filesystem: off\n'],
    // Other forms podsec reads without a problem (config.rs): an unquoted
    // version, a `v` and a patch, `info`, a quoted "off", every key.
    validMore: [
      '.podsec.yaml',
      'profile: privileged\nkubernetesVersion: 1.29\nbestPractices: false\nnamespaceLabels: true\n' +
        'rules:\n  low-user-id: info\n  pss/runAsUser: error\n  yaml11-boolean: "off"\n' +
        'helm:\n  valuesFiles: [values-prod.yaml, overrides/eu.yaml]\n  openshift: false\n',
    ],
    validVersion: ['.podsec.yaml', 'kubernetesVersion: v1.37.2\nrules:\n'],
    invalid: [
      '.podsec.yaml',
      'profile: strict\nprofil: baseline\nbestPractices: maybe\nrules:\n  low-user-id: loud\n  pss/runasuser: error\n',
    ],
    invalidHelm: ['.podsec.yaml', 'helm:\n  valuesFile: [values-prod.yaml]\n  valuesFiles: values-prod.yaml\n  openshift: maybe\n'],
    helmKeys: ['.podsec.yaml', 'helm:\n  \n'],
    profileValue: ['.podsec.yaml', 'profile: \n'],
    topKeys: ['.podsec.yaml', 'profile: baseline\n\n'],
    ruleKeys: ['.podsec.yaml', 'rules:\n  \n'],
    hover: ['.podsec.yaml', 'profile: baseline\nbestPractices: true\n'],
    modeline: ['settings.yaml', `# yaml-language-server: $schema=${SCHEMA_URI}\nprofile: strict\n`],
    unbound: ['settings.yaml', 'profile: strict\n'],
  };
  for (const [folder, [name, text]] of Object.entries(cases)) open(writeDoc(folder, name, text), text);

  // 1. A valid file: no diagnostics.
  {
    const got = await settledDiagnostics(docs.get('valid').uri);
    if (got === undefined) fail('valid file has no diagnostics (valid)', 'no publishDiagnostics in 10 s');
    else check('valid file has no diagnostics (valid)', got.length === 0, got.map(showDiag).join('; '));
  }

  for (const folder of ['validMore', 'validVersion']) {
    const got = await settledDiagnostics(docs.get(folder).uri);
    const name = `valid file has no diagnostics (${folder})`;
    if (got === undefined) fail(name, 'no publishDiagnostics in 10 s');
    else check(name, got.length === 0, got.map(showDiag).join('; '));
  }

  // 2. An invalid file: a diagnostic on each bad line, none on `rules:`.
  {
    const got = (await settledDiagnostics(docs.get('invalid').uri)) ?? [];
    got.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
    for (const d of got) console.log(`  invalid .podsec.yaml ${showDiag(d)}`);
    const lines = [...new Set(got.map((d) => d.range.start.line))].sort((a, b) => a - b);
    const want = [0, 1, 2, 4, 5];
    check(
      'invalid file: diagnostics on lines 0,1,2,4,5 exactly',
      JSON.stringify(lines) === JSON.stringify(want),
      `diagnosed lines ${JSON.stringify(lines)}, want ${JSON.stringify(want)}`,
    );
    const on = (line) => got.filter((d) => d.range.start.line === line).map((d) => d.message).join(' | ');
    const expectations = [
      [0, /restricted.*baseline.*privileged/s, 'profile: strict names the allowed values'],
      [1, /profil\b.*not allowed/i, 'profil: property not allowed'],
      [2, /incorrect type|expected.*boolean/i, 'bestPractices: maybe is the wrong type'],
      [4, /off.*hint.*information.*warning.*error/s, 'low-user-id: loud names the allowed levels'],
      [5, /pss\/runasuser.*not allowed/i, 'pss/runasuser: property not allowed'],
    ];
    for (const [line, re, what] of expectations) {
      check(`invalid file: ${what}`, re.test(on(line)), `line ${line}: ${JSON.stringify(on(line))}`);
    }
    check(
      'invalid file: diagnostics come from the podsec schema',
      got.length > 0 && got.every((d) => /podsec/.test(`${d.source ?? ''} ${JSON.stringify(d.data ?? '')}`)),
      got.map((d) => d.source).join(', '),
    );
  }

  // 2b. Mistakes under helm: a diagnostic on each of its three lines.
  {
    const got = (await settledDiagnostics(docs.get('invalidHelm').uri)) ?? [];
    const lines = [...new Set(got.map((d) => d.range.start.line))].sort((a, b) => a - b);
    check(
      'invalid helm settings: diagnostics on lines 1,2,3 exactly',
      JSON.stringify(lines) === JSON.stringify([1, 2, 3]),
      got.map(showDiag).join('; ') || 'no diagnostics',
    );
  }

  // 3. Completion of the profile value.
  {
    const result = await request('textDocument/completion', {
      textDocument: { uri: docs.get('profileValue').uri },
      position: { line: 0, character: 9 },
    });
    const got = labels(result);
    const want = ['restricted', 'baseline', 'privileged'];
    check('completion of profile: offers the three profiles', want.every((w) => got.includes(w)), `got ${JSON.stringify(got)}`);
  }

  // 4. Completion of the top-level keys.
  {
    const result = await request('textDocument/completion', {
      textDocument: { uri: docs.get('topKeys').uri },
      position: { line: 1, character: 0 },
    });
    const got = labels(result);
    const want = ['kubernetesVersion', 'bestPractices', 'rules', 'namespaceLabels', 'helm'];
    check('completion of a new key offers the other settings', want.every((w) => got.includes(w)), `got ${JSON.stringify(got)}`);
    check('completion of a new key leaves out profile (already set)', !got.includes('profile'), `got ${JSON.stringify(got)}`);
  }

  // 5. Completion of rule codes under rules:.
  {
    const result = await request('textDocument/completion', {
      textDocument: { uri: docs.get('ruleKeys').uri },
      position: { line: 1, character: 2 },
    });
    const got = labels(result);
    const want = ['pod-only-field', 'pss/runAsNonRoot', 'read-only-root-filesystem'];
    check('completion under rules: offers rule codes', want.every((w) => got.includes(w)), `got ${JSON.stringify(got)}`);
    const missing = RULE_CODES.filter((code) => !got.includes(code));
    check(
      `completion under rules: offers every rule code of the schema (${RULE_CODES.length})`,
      RULE_CODES.length > 0 && missing.length === 0,
      `missing ${JSON.stringify(missing)}`,
    );
  }

  // 5b. Completion of the keys under helm:.
  {
    const result = await request('textDocument/completion', {
      textDocument: { uri: docs.get('helmKeys').uri },
      position: { line: 1, character: 2 },
    });
    const got = labels(result);
    const want = ['valuesFiles', 'openshift'];
    check('completion under helm: offers valuesFiles and openshift', want.every((w) => got.includes(w)), `got ${JSON.stringify(got)}`);
  }

  // 6. Hover on the bestPractices key.
  {
    const result = await request('textDocument/hover', {
      textDocument: { uri: docs.get('hover').uri },
      position: { line: 1, character: 3 },
    });
    const text = hoverText(result);
    check('hover on bestPractices shows its description', /best-practice/.test(text), JSON.stringify(text));
  }

  // 7. A `$schema` modeline binds the schema to a file of any name.
  {
    const got = (await settledDiagnostics(docs.get('modeline').uri)) ?? [];
    const lines = got.map((d) => d.range.start.line);
    check(
      'modeline: settings.yaml with $schema gets the profile enum diagnostic',
      got.length === 1 && lines[0] === 1 && /restricted.*baseline.*privileged/s.test(got[0].message),
      got.map(showDiag).join('; ') || 'no diagnostics',
    );
    // The control: the same text in settings.yaml without the modeline is
    // not bound to the schema (the `schemas` setting names .podsec.yaml only).
    const unbound = (await settledDiagnostics(docs.get('unbound').uri)) ?? [];
    check('control: settings.yaml without a modeline is not checked', unbound.length === 0, unbound.map(showDiag).join('; '));
  }
}

async function shutdown() {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  try {
    await request('shutdown', null, 5000);
    notify('exit', null);
  } catch (error) {
    fail('shutdown', error.message);
  }
  const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  check('server exits after shutdown + exit', server.exitCode === 0, `exit code ${server.exitCode} signal ${server.signalCode}`);
}

const watchdog = setTimeout(() => {
  console.log('FAIL run :: took more than 60 s');
  server?.kill('SIGKILL');
  rmSync(ROOT, { recursive: true, force: true });
  process.exit(1);
}, 60000);

try {
  await main();
} catch (error) {
  fail('run', error.stack ?? error.message);
}
await shutdown();
clearTimeout(watchdog);
rmSync(ROOT, { recursive: true, force: true });
if (failed && stderr.trim()) console.log(`server stderr:\n${stderr.trim().split('\n').slice(-30).join('\n')}`);
console.log(
  failed
    ? `settings schema in yaml-language-server: ${failed} failed (${passed} passed)`
    : `settings schema in yaml-language-server: all passed (${passed} checks)`,
);
process.exit(failed ? 1 : 0);
