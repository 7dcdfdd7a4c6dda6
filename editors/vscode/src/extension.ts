import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from 'vscode-languageclient/node';

import { findServer } from './binary';
import { RESTART_SETTINGS, SECTION, toServerSettings } from './settings';
import { isViolationList, SHOW_VIOLATIONS, VIOLATION_LIST_CAPABILITY, ViolationList, violationItems } from './violations';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;

function settingsFor(scope?: vscode.Uri) {
  const configuration = vscode.workspace.getConfiguration(SECTION, scope);
  return toServerSettings((key) => configuration.get(key));
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function isExecutable(file: string): boolean {
  if (process.platform === 'win32') return true;
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Shows an error with an "Open Settings" button, without waiting for the
 * user: activation and restarts never block on a message.
 */
function reportStartFailure(message: string): void {
  output.appendLine(message);
  void vscode.window.showErrorMessage(message, 'Open Settings', 'Show Server Log').then((choice) => {
    if (choice === 'Open Settings') {
      void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.server.path`);
    } else if (choice === 'Show Server Log') {
      output.show(true);
    }
  });
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const found = findServer({
    configured: vscode.workspace.getConfiguration(SECTION).get<string | null>('server.path'),
    pathEnv: process.env.PATH,
    platform: process.platform,
    extensionPath: context.extensionPath,
    home: os.homedir(),
    workspaceFolder: folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined,
    isFile,
    isExecutable,
  });
  if ('error' in found) {
    reportStartFailure(found.error);
    return;
  }
  output.appendLine(`Starting ${found.path} lsp (found via ${found.source})`);

  // stdio without `transport`: with it, vscode-languageclient would add
  // `--stdio` to the arguments.
  const serverOptions: ServerOptions = { command: found.path, args: ['lsp'] };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'yaml' },
      { scheme: 'untitled', language: 'yaml' },
      { scheme: 'file', language: 'helm' },
    ],
    initializationOptions: settingsFor(folder?.uri),
    outputChannel: output,
    middleware: {
      // A verdict lens runs the server's command; its answer is shown as a
      // list to jump from (the server then sends no message of its own).
      executeCommand: async (command, args, next) => {
        const result = await next(command, args);
        if (command === SHOW_VIOLATIONS && isViolationList(result)) {
          await showViolations(result);
        }
        return result;
      },
      workspace: {
        // Answer `workspace/configuration` with the server's keys only.
        configuration: (params) =>
          params.items.map((item) =>
            item.section === SECTION ? settingsFor(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : folder?.uri) : null,
          ),
      },
    },
  };
  const starting = new LanguageClient(SECTION, 'podsec', serverOptions, clientOptions);
  client = starting;
  starting.registerFeature({
    fillClientCapabilities(capabilities) {
      capabilities.experimental = { ...(capabilities.experimental ?? {}), [VIOLATION_LIST_CAPABILITY]: true };
    },
    initialize() {},
    getState() {
      return { kind: 'static' };
    },
    clear() {},
  });
  try {
    await starting.start();
  } catch (error) {
    if (client === starting) client = undefined;
    reportStartFailure(`podsec could not start ${found.path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function showViolations(list: ViolationList): Promise<void> {
  const picked = await vscode.window.showQuickPick(violationItems(list), {
    title: list.title,
    placeHolder: 'Go to a violation',
    matchOnDetail: true,
  });
  if (!picked) return;
  const { start, end } = picked.range;
  const selection = new vscode.Range(start.line, start.character, end.line, end.character);
  await vscode.window.showTextDocument(vscode.Uri.parse(list.uri), { selection });
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop();
  }
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  try {
    await stop();
  } catch (error) {
    output.appendLine(`stopping the server: ${error instanceof Error ? error.message : String(error)}`);
  }
  await start(context);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('podsec');
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('podsec.restartServer', () => restart(context)),
    vscode.commands.registerCommand('podsec.showLog', () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration(SECTION)) return;
      if (RESTART_SETTINGS.some((key) => event.affectsConfiguration(key)) || !client) {
        await restart(context);
        return;
      }
      // The server pulls `workspace/configuration`; the settings go along
      // for servers that do not.
      await client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { [SECTION]: settingsFor(vscode.workspace.workspaceFolders?.[0]?.uri) },
      });
    }),
  );
  // Not awaited: activation is done once the commands exist, whether the
  // server starts or not.
  void start(context);
}

export function deactivate(): Promise<void> {
  return stop();
}
