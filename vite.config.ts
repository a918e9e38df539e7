// The renderer build: src/renderer → dist/renderer, loaded from orelab://app/ in Electron and served by the
// harness over HTTP. No inline scripts or styles end up in index.html (the CSP forbids them).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: 'src/renderer',
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../../dist/renderer',
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: true,
    // Chromium supports modulepreload natively; the polyfill would only add code.
    modulePreload: { polyfill: false },
    // Never inline assets as data: URLs (the CSP allows images only from the app and the image protocol).
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
