import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
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
  });
  if ('error' in found) {
    output.appendLine(found.error);
    const choice = await vscode.window.showErrorMessage(found.error, 'Open Settings');
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.server.path`);
    }
    return;
  }
  output.appendLine(`Starting ${found.path} lsp (found via ${found.source})`);

  const serverOptions: ServerOptions = {
    command: found.path,
    args: ['lsp'],
    transport: TransportKind.stdio,
  };
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
  client = new LanguageClient(SECTION, 'podsec', serverOptions, clientOptions);
  client.registerFeature({
    fillClientCapabilities(capabilities) {
      capabilities.experimental = { ...(capabilities.experimental ?? {}), [VIOLATION_LIST_CAPABILITY]: true };
    },
    initialize() {},
    getState() {
      return { kind: 'static' };
    },
    clear() {},
  });
  await client.start();
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
  await stop();
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
  await start(context);
}

export function deactivate(): Promise<void> {
  return stop();
}
