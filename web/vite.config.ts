// Builds the app into web/dist (CMake passes --outDir to embed it into the latchkey binary).
// `npm run dev` proxies the API and the stream to a running `latchkey demo` (LATCHKEY_HUB).
import { defineConfig } from 'vite';

const hub = process.env.LATCHKEY_HUB ?? 'http://127.0.0.1:18480';

// The Content-Security-Policy the hub sends; `npm run preview` serves the build under it too.
const csp =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    target: 'es2022',
    // The hub's CSP forbids data: scripts and inline code; keep every asset a real file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/api': { target: hub, ws: true },
    },
  },
  preview: {
    headers: { 'Content-Security-Policy': csp },
    proxy: {
      '/api': { target: hub, ws: true },
    },
  },
});
