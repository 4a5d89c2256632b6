// The web app's phone protocol (web/src/phone/, TypeScript) for tests that run in Node: bundled
// with the esbuild that Vite brings (web/node_modules) into a temporary module and imported.
// Node 20's WebCrypto has X25519, AES-GCM, SHA-256 and HMAC, so the same code runs here as in
// the browser.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB = join(here, '../../web');

/** The exports of web/src/phone/index.ts. */
export async function loadPhone() {
  const esbuild = createRequire(join(WEB, 'package.json'))('esbuild');
  const built = await esbuild.build({
    entryPoints: [join(WEB, 'src/phone/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-phone-'));
  try {
    const file = join(dir, 'phone.mjs');
    writeFileSync(file, built.outputFiles[0].contents);
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
