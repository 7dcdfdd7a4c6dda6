import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SECTION, toServerSettings } from '../src/settings';

const reader = (values: Record<string, unknown>) => (key: string) => values[key];

test('unset settings are null, so a .podsec.yaml still applies', () => {
  assert.deepEqual(toServerSettings(reader({})), {
    profile: null,
    kubernetesVersion: null,
    bestPractices: null,
    rules: {},
    namespaceLabels: null,
    inlayHints: true,
    verdictHints: false,
    maxFileSizeMB: 50,
  });
  assert.equal(toServerSettings(reader({ profile: '  ', kubernetesVersion: '' })).profile, null);
});

test('set values are sent under the server keys', () => {
  const settings = toServerSettings(
    reader({
      profile: 'baseline',
      kubernetesVersion: ' 1.30 ',
      bestPractices: false,
      rules: { 'pss/runAsUser': 'error' },
      namespaceLabels: false,
      inlayHints: false,
      verdictHints: true,
      maxFileSizeMB: 200,
      'trace.server': 'verbose',
      'server.path': '/opt/podsec',
    }),
  );
  assert.deepEqual(settings, {
    profile: 'baseline',
    kubernetesVersion: '1.30',
    bestPractices: false,
    rules: { 'pss/runAsUser': 'error' },
    namespaceLabels: false,
    inlayHints: false,
    verdictHints: true,
    maxFileSizeMB: 200,
  });
});

test('a wrongly typed value goes to the server, which names it in a warning', () => {
  const settings = toServerSettings(reader({ kubernetesVersion: 1.3, rules: ['x'] }));
  assert.equal(settings.kubernetesVersion, 1.3);
  assert.deepEqual(settings.rules, {});
});

test('every contributed setting is mapped or is a client setting', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  const properties = Object.keys(manifest.contributes.configuration.properties);
  const sent = Object.keys(toServerSettings(reader({})));
  const clientSide = ['server.path', 'trace.server'];
  const keys = properties.map((p) => p.slice(SECTION.length + 1));
  assert.deepEqual([...keys].sort(), [...sent, ...clientSide].sort());
  for (const key of sent) {
    const property = manifest.contributes.configuration.properties[`${SECTION}.${key}`];
    const defaults: Record<string, unknown> = { rules: {}, inlayHints: true, verdictHints: false, maxFileSizeMB: 50 };
    const expected = key in defaults ? defaults[key] : null;
    assert.deepEqual(property.default, expected, `default of ${key}`);
  }
});
