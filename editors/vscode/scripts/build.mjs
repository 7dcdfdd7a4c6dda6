// Bundles the extension (and, with --tests, the unit tests) with esbuild.
//   node scripts/build.mjs [--production] [--tests]
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node18', external: ['vscode'], logLevel: 'warning' };

await esbuild.build({
  ...common,
  entryPoints: ['src/extension.ts'],
  outfile: 'out/extension.js',
  minify: production,
  sourcemap: !production,
});

// The .podsec.yaml schema ships in the extension, for the YAML extension
// (package.json, contributes.yamlValidation); one copy lives in ../../schemas.
mkdirSync('out/schemas', { recursive: true });
copyFileSync('../../schemas/podsec-settings.schema.json', 'out/schemas/podsec-settings.schema.json');

if (process.argv.includes('--tests')) {
  const tests = readdirSync('test').filter((f) => f.endsWith('.test.ts')).map((f) => `test/${f}`);
  await esbuild.build({ ...common, entryPoints: tests, outdir: 'out/test' });
}
