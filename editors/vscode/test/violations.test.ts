import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isViolationList, violationItems } from '../src/violations';

const range = (line: number) => ({ start: { line, character: 6 }, end: { line, character: 17 } });

test('the server answer becomes one item per violation, with 1-based lines', () => {
  const list = {
    uri: 'file:///w/payments/card-reader.yaml',
    title: 'DaemonSet `card-reader`: 2 baseline violations at Kubernetes 1.30',
    violations: [
      { range: range(13), code: 'pss/hostNamespaces', message: '`hostNetwork: true` shares the node network' },
      { range: range(22), code: 'pss/privileged', message: 'container `reader`: `privileged: true` ...' },
    ],
  };
  assert.ok(isViolationList(list));
  assert.deepEqual(
    violationItems(list).map((item) => [item.label, item.detail, item.range.start.line]),
    [
      ['line 14: pss/hostNamespaces', '`hostNetwork: true` shares the node network', 13],
      ['line 23: pss/privileged', 'container `reader`: `privileged: true` ...', 22],
    ],
  );
});

test('anything else is not a list', () => {
  for (const value of [null, undefined, 3, 'x', {}, { uri: 'u', title: 't' }]) {
    assert.equal(isViolationList(value), false);
  }
});
