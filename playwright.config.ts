/**
 * e2e tier: Debian's Chromium (scripts/install-system-deps.sh installs it; Playwright's own
 * browser download is not used) against the full stack started by scripts/e2e-stack.ts.
 * Ports: E2E_PORT / E2E_COLLAB_PORT / E2E_COLLAB_INTERNAL_PORT, else free ones picked here. They are written back to
 * process.env because Playwright re-evaluates this file in its worker processes, which
 * inherit the env and must agree on baseURL.
 */
import { defineConfig, devices } from '@playwright/test';
import { execFileSync } from 'node:child_process';

function freePortSync(): string {
  // Config loading is synchronous: ask the OS for a free port in a short-lived child.
  const js =
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})";
  return execFileSync(process.execPath, ['-e', js], { encoding: 'utf8' }).trim();
}

process.env.E2E_PORT ||= freePortSync();
process.env.E2E_COLLAB_PORT ||= freePortSync();
process.env.E2E_COLLAB_INTERNAL_PORT ||= freePortSync();
const port = Number(process.env.E2E_PORT);
const baseURL = `http://localhost:${port}`;

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results/e2e',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e-report.json' }]],
  use: {
    ...devices['Desktop Chrome'],
    baseURL,
    headless: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      // No sandbox as root; the rest stops Chromium phoning home on a closed network.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  },
  projects: [{ name: 'chromium' }],
  webServer: {
    command: 'node --import tsx scripts/e2e-stack.ts',
    url: `http://127.0.0.1:${port}/api/v1/health`,
    // First run may include `vite build`.
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: process.env.E2E_VERBOSE ? 'pipe' : 'ignore',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 30_000 },
    env: {
      E2E_PORT: String(port),
      E2E_COLLAB_PORT: String(process.env.E2E_COLLAB_PORT),
      E2E_COLLAB_INTERNAL_PORT: String(process.env.E2E_COLLAB_INTERNAL_PORT)
    }
  }
});
