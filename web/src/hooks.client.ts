import { z } from 'zod';

// Zod probes whether it may compile fast parsers with `new Function('')`. The page's
// Content-Security-Policy (svelte.config.js) forbids eval, so the probe fails (harmlessly)
// but Chromium reports a CSP violation for it on every page: tell Zod up front instead.
z.config({ jitless: true });
