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
    alias: { $db: 'db', $common: 'common', $chem: 'chem', $workers: 'workers' },
    // The origin check moves to web/src/hooks.server.ts (checkOrigin): same rule,
    // but multipart uploads with `Authorization: Bearer` (scripts) pass.
    csrf: { trustedOrigins: ['*'] }
  }
};

export default config;
