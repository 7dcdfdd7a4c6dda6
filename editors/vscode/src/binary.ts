// Finding the `podsec` binary: the `podsec.server.path` setting, else
// `PATH`, else the binary bundled in the extension's `bin/` folder. No
// `vscode` import, so the lookup is unit-tested in plain Node.

import * as path from 'node:path';

export interface LookupInput {
  /** The `podsec.server.path` setting. */
  configured: string | null | undefined;
  /** The `PATH` environment variable. */
  pathEnv: string | undefined;
  platform: NodeJS.Platform;
  /** Where the extension is installed. */
  extensionPath: string;
  /** The home folder, for a setting that starts with `~`. */
  home: string;
  /** The first workspace folder, for a relative setting. */
  workspaceFolder?: string;
  isFile: (file: string) => boolean;
  /** Whether the file may be run (always true on Windows). */
  isExecutable: (file: string) => boolean;
}

export type Lookup =
  | { path: string; source: 'setting' | 'PATH' | 'bundled' }
  | { error: string };

export function binaryName(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'podsec.exe' : 'podsec';
}

export function findServer(input: LookupInput): Lookup {
  const p = input.platform === 'win32' ? path.win32 : path.posix;
  const configured = input.configured?.trim();
  if (configured) {
    let file = configured;
    if (file === '~' || file.startsWith('~/') || file.startsWith('~\\')) {
      file = p.join(input.home, file.slice(1));
    } else if (!p.isAbsolute(file) && input.workspaceFolder) {
      file = p.resolve(input.workspaceFolder, file);
    }
    // A path the user chose is never silently replaced by another binary.
    if (!input.isFile(file)) {
      return { error: `podsec.server.path is set to ${configured}, but ${file} is not a file.` };
    }
    if (!input.isExecutable(file)) {
      return { error: `podsec.server.path is set to ${configured}, but ${file} is not executable (chmod +x ${file}).` };
    }
    return { path: file, source: 'setting' };
  }
  const name = binaryName(input.platform);
  const separator = input.platform === 'win32' ? ';' : ':';
  for (const dir of (input.pathEnv ?? '').split(separator)) {
    // An empty entry means the current folder: not where a server comes from.
    if (!dir) continue;
    // As a shell does: a file that may not be run is passed over.
    const file = p.join(dir, name);
    if (input.isFile(file) && input.isExecutable(file)) return { path: file, source: 'PATH' };
  }
  const bundled = p.join(input.extensionPath, 'bin', name);
  if (input.isFile(bundled) && input.isExecutable(bundled)) return { path: bundled, source: 'bundled' };
  return {
    error:
      'podsec was not found: install it (`cargo install --path server` in the podsec repository) so that it ' +
      'is on the PATH of a login shell (the VS Code server of a remote window reads PATH from one), or set ' +
      'podsec.server.path.',
  };
}
