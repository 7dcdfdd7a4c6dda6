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
    helm: { valuesFiles: null, openshift: null },
    inlayHints: true,
    verdictHints: false,
    maxFileSizeMB: 50,
  });
  assert.equal(toServerSettings(reader({ profile: '  ', kubernetesVersion: '' })).profile, null);
  // The Settings UI's defaults: an empty list, Unset.
  assert.deepEqual(toServerSettings(reader({ 'helm.valuesFiles': [], 'helm.openshift': '' })).helm, {
    valuesFiles: null,
    openshift: null,
  });
});

test('set values are sent under the server keys', () => {
  const settings = toServerSettings(
    reader({
      profile: 'baseline',
      kubernetesVersion: ' 1.30 ',
      bestPractices: false,
      rules: { 'pss/runAsUser': 'error' },
      namespaceLabels: false,
      'helm.valuesFiles': ['values-prod.yaml', ' overrides/eu.yaml '],
      'helm.openshift': 'on',
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
    helm: { valuesFiles: ['values-prod.yaml', 'overrides/eu.yaml'], openshift: true },
    inlayHints: false,
    verdictHints: true,
    maxFileSizeMB: 200,
  });
});

test('helm settings go nested under helm, as the server and .podsec.yaml read them', () => {
  assert.equal(toServerSettings(reader({ 'helm.openshift': 'off' })).helm.openshift, false);
  assert.deepEqual(toServerSettings(reader({ 'helm.valuesFiles': ['values-prod.yaml'] })).helm, {
    valuesFiles: ['values-prod.yaml'],
    openshift: null,
  });
  // A wrong shape written in settings.json goes as it is, for the server to name.
  assert.equal(toServerSettings(reader({ 'helm.valuesFiles': 'values-prod.yaml' })).helm.valuesFiles, 'values-prod.yaml');
  assert.deepEqual(toServerSettings(reader({ 'helm.valuesFiles': ['a.yaml', 3] })).helm.valuesFiles, ['a.yaml', 3]);
  assert.equal(toServerSettings(reader({ 'helm.valuesFiles': '  ' })).helm.valuesFiles, null);
});

test('the Settings UI values: empty strings are unset, on and off are booleans', () => {
  const settings = toServerSettings(reader({ profile: '', kubernetesVersion: '', bestPractices: 'off', namespaceLabels: 'on' }));
  assert.equal(settings.profile, null);
  assert.equal(settings.kubernetesVersion, null);
  assert.equal(settings.bestPractices, false);
  assert.equal(settings.namespaceLabels, true);
  assert.equal(toServerSettings(reader({ bestPractices: '' })).bestPractices, null);
});

test('every setting has a control in the Settings UI: one plain type, no null', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  for (const [name, property] of Object.entries<Record<string, unknown>>(manifest.contributes.configuration.properties)) {
    assert.equal(typeof property.type, 'string', `${name}: ${JSON.stringify(property.type)}`);
    assert.notEqual(property.default, null, name);
    if (Array.isArray(property.enum)) {
      assert.ok(!property.enum.includes(null), `${name} offers null`);
      assert.equal((property.enumItemLabels as unknown[] | undefined)?.length ?? property.enum.length, property.enum.length, name);
    }
    // Remote windows (code-server, SSH, WSL) keep machine settings out of the User settings.
    assert.ok(!['machine', 'machine-overridable'].includes(property.scope as string), `${name}: scope ${property.scope}`);
  }
});

test('a wrongly typed value goes to the server, which names it in a warning', () => {
  const settings = toServerSettings(reader({ kubernetesVersion: 1.3, rules: ['x'] }));
  assert.equal(settings.kubernetesVersion, 1.3);
  assert.deepEqual(settings.rules, {});
});

test('every contributed setting is mapped or is a client setting', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  const properties = Object.keys(manifest.contributes.configuration.properties);
  // A nested section (`helm`) is sent as an object, each of its keys a setting.
  const dotted = (settings: object): string[] =>
    Object.entries(settings).flatMap(([key, value]) =>
      key !== 'rules' && value !== null && typeof value === 'object' ? Object.keys(value).map((k) => `${key}.${k}`) : [key],
    );
  const sent = dotted(toServerSettings(reader({})));
  const clientSide = ['server.path', 'trace.server'];
  const keys = properties.map((p) => p.slice(SECTION.length + 1));
  assert.deepEqual([...keys].sort(), [...sent, ...clientSide].sort());
  for (const key of sent) {
    const property = manifest.contributes.configuration.properties[`${SECTION}.${key}`];
    const defaults: Record<string, unknown> = { rules: {}, inlayHints: true, verdictHints: false, maxFileSizeMB: 50 };
    const expected = key in defaults ? defaults[key] : null;
    // The default, as the server receives it: unset (null) leaves the .podsec.yaml in charge.
    const sentSettings = toServerSettings(reader({ [key]: property.default })) as unknown as Record<string, unknown>;
    const sentDefault = key.split('.').reduce<unknown>((at, part) => (at as Record<string, unknown>)[part], sentSettings);
    assert.deepEqual(sentDefault, expected, `default of ${key}`);
  }
});
