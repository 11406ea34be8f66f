import { expect, test } from '@playwright/test';

test('health endpoint reports every dependency ok', async ({ page }) => {
  const res = await page.goto('/api/v1/health');
  expect(res?.status()).toBe(200);
  const body = await res!.json();
  expect(body.data.status).toBe('ok');
});
