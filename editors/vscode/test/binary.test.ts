import assert from 'node:assert/strict';
import { test } from 'node:test';

import { findServer, LookupInput } from '../src/binary';

function input(files: string[], overrides: Partial<LookupInput> = {}): LookupInput {
  return {
    configured: null,
    pathEnv: '/usr/local/bin:/home/me/.cargo/bin',
    platform: 'linux',
    extensionPath: '/ext/podsec',
    home: '/home/me',
    isFile: (file) => files.includes(file),
    isExecutable: () => true,
    ...overrides,
  };
}

test('the setting wins over PATH and the bundled binary', () => {
  const files = ['/opt/podsec', '/home/me/.cargo/bin/podsec', '/ext/podsec/bin/podsec'];
  assert.deepEqual(findServer(input(files, { configured: '/opt/podsec' })), { path: '/opt/podsec', source: 'setting' });
});

test('a setting with ~ or a relative path is resolved', () => {
  assert.deepEqual(findServer(input(['/home/me/bin/podsec'], { configured: '~/bin/podsec' })), {
    path: '/home/me/bin/podsec',
    source: 'setting',
  });
  assert.deepEqual(findServer(input(['/work/repo/target/debug/podsec'], { configured: 'target/debug/podsec', workspaceFolder: '/work/repo' })), {
    path: '/work/repo/target/debug/podsec',
    source: 'setting',
  });
});

test('a setting that points nowhere is an error, not a fallback', () => {
  const result = findServer(input(['/home/me/.cargo/bin/podsec'], { configured: '/missing/podsec' }));
  assert.ok('error' in result && result.error.includes('/missing/podsec'));
});

test('PATH in order, then the bundled binary', () => {
  assert.deepEqual(findServer(input(['/home/me/.cargo/bin/podsec', '/ext/podsec/bin/podsec'])), {
    path: '/home/me/.cargo/bin/podsec',
    source: 'PATH',
  });
  assert.deepEqual(findServer(input(['/ext/podsec/bin/podsec'], { pathEnv: '' })), { path: '/ext/podsec/bin/podsec', source: 'bundled' });
  // An empty PATH entry (the current folder) is not searched.
  assert.ok('error' in findServer(input(['podsec'], { pathEnv: ':' })));
});

test('Windows: podsec.exe and ; between PATH entries', () => {
  const files = ['C:\\tools\\podsec.exe'];
  assert.deepEqual(findServer(input(files, { platform: 'win32', pathEnv: 'C:\\Windows;C:\\tools' })), {
    path: 'C:\\tools\\podsec.exe',
    source: 'PATH',
  });
  assert.deepEqual(findServer(input(['C:\\ext\\bin\\podsec.exe'], { platform: 'win32', pathEnv: '', extensionPath: 'C:\\ext' })), {
    path: 'C:\\ext\\bin\\podsec.exe',
    source: 'bundled',
  });
});

test('nothing found: an error that says how to install', () => {
  const result = findServer(input([]));
  assert.ok('error' in result && result.error.includes('cargo install') && result.error.includes('podsec.server.path'));
});

test('a binary that may not be run: an error for the setting, passed over on PATH', () => {
  const notExecutable = { isExecutable: (file: string) => file !== '/opt/podsec' && file !== '/usr/local/bin/podsec' };
  const configured = findServer(input(['/opt/podsec'], { configured: '/opt/podsec', ...notExecutable }));
  assert.ok('error' in configured && configured.error.includes('not executable (chmod +x /opt/podsec)'), JSON.stringify(configured));
  const files = ['/usr/local/bin/podsec', '/home/me/.cargo/bin/podsec'];
  assert.deepEqual(findServer(input(files, notExecutable)), { path: '/home/me/.cargo/bin/podsec', source: 'PATH' });
});
