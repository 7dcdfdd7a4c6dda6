// The answer of the server's `podsec.showViolations` command (a code lens
// click), turned into quick-pick items. No `vscode` import, so it is
// unit-tested in plain Node.

/** The command the verdict lenses run. */
export const SHOW_VIOLATIONS = 'podsec.showViolations';

/** The experimental client capability telling the server this extension shows the list itself. */
export const VIOLATION_LIST_CAPABILITY = 'podsecViolationList';

export interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export interface ViolationList {
  uri: string;
  title: string;
  violations: { range: LspRange; code: string; message: string }[];
}

export interface ViolationItem {
  label: string;
  detail: string;
  range: LspRange;
}

export function isViolationList(value: unknown): value is ViolationList {
  if (value === null || typeof value !== 'object') return false;
  const list = value as Record<string, unknown>;
  return typeof list.uri === 'string' && typeof list.title === 'string' && Array.isArray(list.violations);
}

/** One item per violation: `line 14: pss/hostNamespaces`, the message below it. */
export function violationItems(list: ViolationList): ViolationItem[] {
  return list.violations.map((v) => ({
    label: `line ${v.range.start.line + 1}: ${v.code}`,
    detail: v.message,
    range: v.range,
  }));
}
