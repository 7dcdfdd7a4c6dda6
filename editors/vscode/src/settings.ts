// The podsec settings as the server reads them (`initializationOptions`,
// `workspace/configuration`, `workspace/didChangeConfiguration`). No `vscode`
// import, so the mapping is unit-tested in plain Node.

/** The settings section, and the prefix of every setting (`podsec.profile`). */
export const SECTION = 'podsec';

/**
 * What the server reads. `null` means unset: the nearest `.podsec.yaml` then
 * applies. The editor's settings are plain types the Settings UI can edit,
 * with `""` meaning unset.
 */
export interface ServerSettings {
  profile: unknown;
  kubernetesVersion: unknown;
  bestPractices: unknown;
  rules: Record<string, unknown>;
  namespaceLabels: unknown;
  /** `podsec.helm.*`, nested as in `.podsec.yaml`. */
  helm: { valuesFiles: unknown; openshift: unknown };
  inlayHints: boolean;
  verdictHints: boolean;
  maxFileSizeMB: unknown;
}

/** Reads one setting below `podsec.` (as `WorkspaceConfiguration.get` does). */
export type Read = (key: string) => unknown;

/**
 * Maps the editor's settings to the server's keys. Unset or empty values
 * become `null` so they never override a `.podsec.yaml`; anything else goes
 * as it is, so the server can warn about a bad value instead of the
 * extension silently dropping it.
 */
export function toServerSettings(read: Read): ServerSettings {
  const optional = (key: string): unknown => {
    const value = read(key);
    if (value === undefined || value === null) return null;
    if (typeof value === 'string' && value.trim() === '') return null;
    return typeof value === 'string' ? value.trim() : value;
  };
  // A switch that may be left to the .podsec.yaml: "" (unset), "on", "off".
  const tristate = (key: string): unknown => {
    const value = optional(key);
    if (value === 'on') return true;
    if (value === 'off') return false;
    return value;
  };
  // A list the user fills in: empty (the default) is unset.
  const list = (key: string): unknown => {
    const value = read(key);
    if (value === undefined || value === null) return null;
    if (!Array.isArray(value)) return optional(key);
    if (value.length === 0) return null;
    return value.map((item) => (typeof item === 'string' ? item.trim() : item));
  };
  const rules = read('rules');
  const inlayHints = read('inlayHints');
  const verdictHints = read('verdictHints');
  return {
    profile: optional('profile'),
    kubernetesVersion: optional('kubernetesVersion'),
    bestPractices: tristate('bestPractices'),
    rules: rules !== null && typeof rules === 'object' && !Array.isArray(rules) ? { ...(rules as Record<string, unknown>) } : {},
    namespaceLabels: tristate('namespaceLabels'),
    helm: { valuesFiles: list('helm.valuesFiles'), openshift: tristate('helm.openshift') },
    inlayHints: typeof inlayHints === 'boolean' ? inlayHints : true,
    verdictHints: verdictHints === true,
    maxFileSizeMB: read('maxFileSizeMB') ?? 50,
  };
}

/** Settings whose change needs a new server process rather than a notification. */
export const RESTART_SETTINGS = [`${SECTION}.server.path`];
