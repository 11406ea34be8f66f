import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/**
 * The web app lives in web/ (one folder per process), so every SvelteKit path
 * is pointed there. adapter-node writes build/; web/server.ts serves
 * build/handler.js together with socket.io on one port.
 */
const config = {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
  kit: {
    adapter: adapter({ out: 'build' }),
    files: {
      assets: 'web/static',
      hooks: { server: 'web/src/hooks.server', client: 'web/src/hooks.client', universal: 'web/src/hooks' },
      lib: 'web/src/lib',
      params: 'web/src/params',
      routes: 'web/src/routes',
      serviceWorker: 'web/src/service-worker',
      appTemplate: 'web/src/app.html',
      errorTemplate: 'web/src/error.html'
    },
    alias: { $db: 'db', $common: 'common', $chem: 'chem', $ingest: 'ingest' },
    // The origin check moves to web/src/hooks.server.ts (checkOrigin): same rule,
    // but multipart uploads with `Authorization: Bearer` (scripts) pass.
    csrf: { trustedOrigins: ['*'] },
    // Content-Security-Policy on every page. 'auto': SvelteKit adds a nonce (or,
    // for prerendered pages, a hash) for its own inline bootstrap script, so no
    // other inline or foreign script runs. Styles keep 'unsafe-inline' (Svelte's
    // style: directives, ProseMirror/TipTap and d3 set style attributes).
    // connect-src is completed per request in hooks.server.ts with the
    // collab-server's WebSocket origin (another port, or PUBLIC_COLLAB_URL).
    // Structure pictures are SVG from our API; RDKit runs on the server only,
    // so no 'wasm-unsafe-eval'.
    csp: {
      mode: 'auto',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        // Svelte's server render marks <img onload/onerror> with this one inline handler
        // (so events that fire before hydration are replayed); allow exactly it, nothing else.
        'script-src-attr': ['unsafe-hashes', 'sha256-7dQwUgLau1NFCCGjfn9FsYptB6ZtWxJin6VohGIu20I='],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:', 'blob:'],
        'font-src': ['self', 'data:'],
        'connect-src': ['self'],
        'worker-src': ['self', 'blob:'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
        'frame-ancestors': ['none']
      }
    }
  }
};

export default config;
