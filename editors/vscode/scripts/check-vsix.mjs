// Checks a built .vsix: the bundled client is in it (and nothing it should
// not ship), its settings are those of the source package.json, and, with
// PODSEC_SERVER naming a podsec binary, the server accepts every setting
// the extension sends without a warning.
//   node scripts/check-vsix.mjs podsec.vsix
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

/** Every entry of a zip file: name → contents. */
function unzip(buffer) {
  // The end of central directory record: signature 0x06054b50, in the last 64 KiB.
  let end = buffer.length - 22;
  while (end >= 0 && buffer.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, 'not a zip file');
  const count = buffer.readUInt16LE(end + 10);
  let at = buffer.readUInt32LE(end + 16);
  const entries = new Map();
  const modes = new Map();
  for (let i = 0; i < count; i++) {
    assert.equal(buffer.readUInt32LE(at), 0x02014b50, 'bad central directory');
    const method = buffer.readUInt16LE(at + 10);
    const size = buffer.readUInt32LE(at + 20);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extraLength = buffer.readUInt16LE(at + 30);
    const commentLength = buffer.readUInt16LE(at + 32);
    const mode = buffer.readUInt32LE(at + 38) >>> 16;
    const local = buffer.readUInt32LE(at + 42);
    const name = buffer.toString('utf8', at + 46, at + 46 + nameLength);
    const dataStart = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    const data = buffer.subarray(dataStart, dataStart + size);
    entries.set(name, method === 8 ? inflateRawSync(data) : data);
    modes.set(name, mode);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return { entries, modes };
}

const file = process.argv[2] ?? 'podsec.vsix';
const { entries, modes } = unzip(readFileSync(file));
const names = [...entries.keys()];

// A platform package (`--target linux-x64`) carries its server, executable.
const manifestXml = entries.get('extension.vsixmanifest')?.toString('utf8') ?? '';
const platform = /TargetPlatform="([^"]+)"/.exec(manifestXml)?.[1];
if (platform) {
  const binary = platform.startsWith('win32') ? 'extension/bin/podsec.exe' : 'extension/bin/podsec';
  assert.ok(entries.has(binary), `${file} targets ${platform} but has no ${binary}`);
  assert.ok(platform.startsWith('win32') || (modes.get(binary) & 0o111) !== 0, `${binary} is not executable in ${file}`);
  console.log(`${file}: ${platform} package with ${binary} (${Math.round(entries.get(binary).length / 1024 / 1024)} MB)`);
}

// The bundle, not the sources or node_modules.
const bundle = entries.get('extension/out/extension.js')?.toString('utf8');
assert.ok(bundle, `extension/out/extension.js missing from ${file}: ${names.join(', ')}`);
assert.ok(!/require\(["']vscode-languageclient/.test(bundle), 'vscode-languageclient is required, not bundled');
assert.ok(bundle.includes('textDocument/inlayHint'), 'the bundle lacks the language client');
for (const name of names) {
  assert.ok(!/^extension\/(node_modules|src|test|scripts|out\/test)\//.test(name), `${name} should not ship`);
  assert.ok(!name.endsWith('.ts') && !name.endsWith('.map'), `${name} should not ship`);
}

// The shipped manifest is the source one.
const shipped = JSON.parse(entries.get('extension/package.json').toString('utf8'));
const source = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
assert.equal(shipped.main, './out/extension.js');
assert.deepEqual(shipped.contributes, source.contributes);
assert.deepEqual(shipped.activationEvents, source.activationEvents);
// The .podsec.yaml schema the YAML extension reads is the project's.
for (const { fileMatch, url } of shipped.contributes.yamlValidation) {
  const schema = entries.get(`extension/${url.replace(/^\.\//, '')}`);
  assert.ok(schema, `${url} (yamlValidation for ${fileMatch}) missing from ${file}`);
  const project = readFileSync(new URL('../../../schemas/podsec-settings.schema.json', import.meta.url));
  assert.ok(schema.equals(project), `${url} differs from schemas/podsec-settings.schema.json`);
}
const properties = shipped.contributes.configuration.properties;
const commands = shipped.contributes.commands.map((c) => c.command).sort();
assert.deepEqual(commands, ['podsec.restartServer', 'podsec.showLog']);

// Every setting the extension sends, set to a non-default value, as the
// server receives it: no warning may come back. A dotted key (`helm.openshift`)
// goes nested (`{ helm: { openshift } }`), as VS Code hands it to the extension.
const server = process.env.PODSEC_SERVER;
if (server) {
  const sample = {};
  const set = (key, value) => {
    const parts = key.split('.');
    const last = parts.pop();
    let at = sample;
    for (const part of parts) at = at[part] ??= {};
    at[last] = value;
  };
  for (const [name, property] of Object.entries(properties)) {
    const key = name.slice('podsec.'.length);
    if (key === 'server.path' || key === 'trace.server') continue;
    if (key === 'rules') sample.rules = Object.fromEntries(Object.keys(property.properties).map((code) => [code, 'warning']));
    else if (key === 'kubernetesVersion') set(key, '1.30');
    else if (property.enum) {
      // The first value that sets something, as the extension sends it.
      const value = property.enum.find((v) => v !== '');
      set(key, value === 'on' ? true : value === 'off' ? false : value);
    }
    else if (property.type === 'boolean' || property.type.includes('boolean')) set(key, false);
    else if (property.type === 'integer') set(key, property.default + 1);
    else if (property.type === 'array' && property.items?.type === 'string') set(key, ['values-prod.yaml']);
    else throw new Error(`no sample value for ${name}`);
  }
  const messages = await initialize(server, sample);
  const warnings = messages.filter((m) => m.method === 'window/logMessage' && m.params.type <= 2);
  assert.deepEqual(warnings, [], 'the server warned about settings the extension sends');
  const ready = messages.find((m) => m.method === 'window/logMessage' && m.params.message.includes('profile'));
  assert.ok(ready && ready.params.message.includes('profile baseline, Kubernetes 1.30'), JSON.stringify(ready));
  console.log(`server accepted ${Object.keys(sample).join(', ')} (${Object.keys(sample.rules).length} rules)`);
}
console.log(`${file}: ${names.length} files, bundled client ${Math.round(bundle.length / 1024)} KiB, ${Object.keys(properties).length} settings: ok`);

/** Starts `podsec lsp` with these initializationOptions; returns what it sent up to its ready message. */
function initialize(binary, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['lsp'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const send = (message) => {
      const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }));
      child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
      child.stdin.write(body);
    };
    const messages = [];
    let pending = Buffer.alloc(0);
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('the server did not answer in time'));
    }, 30000);
    child.stdout.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const header = pending.indexOf('\r\n\r\n');
        if (header < 0) return;
        const length = Number(/Content-Length: (\d+)/i.exec(pending.toString('ascii', 0, header))[1]);
        if (pending.length < header + 4 + length) return;
        const message = JSON.parse(pending.toString('utf8', header + 4, header + 4 + length));
        pending = pending.subarray(header + 4 + length);
        messages.push(message);
        if (message.id === 1 && !message.method) send({ method: 'initialized', params: {} });
        if (message.method === 'window/logMessage' && message.params.message.startsWith('podsec ')) {
          send({ id: 2, method: 'shutdown' });
        }
        if (message.id === 2 && !message.method) {
          clearTimeout(timer);
          send({ method: 'exit' });
          child.stdin.end();
          resolve(messages);
        }
      }
    });
    child.on('error', reject);
    send({ id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {}, initializationOptions: options } });
  });
}
