// Puts the podsec binary named by PODSEC_SERVER into bin/, executable, for
// a .vsix that carries the server for its platform.
//   PODSEC_SERVER=../../target/release/podsec node scripts/bundle-server.mjs
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';

const server = process.env.PODSEC_SERVER;
if (!server) throw new Error('set PODSEC_SERVER to the podsec binary to bundle');
const target = process.platform === 'win32' ? 'bin/podsec.exe' : 'bin/podsec';
mkdirSync('bin', { recursive: true });
copyFileSync(server, target);
chmodSync(target, 0o755);
console.log(`bundled ${server} as ${target}`);
