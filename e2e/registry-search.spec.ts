/**
 * Registry search and re-registration as a new user meets them (issue 10): a SMILES in a
 * spelling other than RDKit's finds the molecule, and a name given when registering a
 * structure that is already there is kept as a synonym, said so, and shown.
 */
import { expect, test } from '@playwright/test';
import { PASSWORD, signInInBrowser, uniqueEmail } from './support';

test('a second name for a registered structure is kept as a synonym; any SMILES spelling finds it', async ({ page, request }) => {
  const email = uniqueEmail('syn');
  const res = await request.post('/api/v1/auth/signup', {
    data: { email, password: PASSWORD, name: 'Syn', organization: { name: 'Syn Labs', kind: 'pharma' } }
  });
  expect(res.status()).toBe(201);
  const headers = { authorization: `Bearer ${(await res.json()).data.token}` };
  const first = await request.post('/api/v1/molecules', { headers, data: { smiles: 'CN1C=NC2=C1C(=O)N(C(=O)N2C)C', name: 'caffeine' } });
  expect(first.status()).toBe(201);
  const caffeine = (await first.json()).data;

  await signInInBrowser(page, email);
  await expect(page).not.toHaveURL(/\/login/);
  await page.goto('/registry/register');
  await page.getByLabel('SMILES').fill('Cn1cnc2c1c(=O)n(C)c(=O)n2C');
  await page.locator('#mname').fill('guaranine');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page).toHaveURL(new RegExp(`/registry/${caffeine.id}\\?registered=existing`));
  await expect(page.getByRole('status').filter({ hasText: 'Already registered' })).toContainText('“guaranine” was kept as a synonym');
  await expect(page.getByTestId('synonyms')).toHaveText('Also known as guaranine');

  const item = await (await request.get(`/api/v1/molecules/${caffeine.id}`, { headers })).json();
  expect(item.data.name).toBe('caffeine');
  expect(item.data.synonyms).toEqual(['guaranine']);

  const found = await (await request.get(`/api/v1/molecules?q=${encodeURIComponent('Cn1cnc2c1c(=O)n(C)c(=O)n2C')}`, { headers })).json();
  expect(found.data.map((m: { id: string }) => m.id)).toEqual([caffeine.id]);
  expect(found.meta).toMatchObject({ total: 1, total_is_estimate: false });
  await page.goto(`/registry?q=${encodeURIComponent('Cn1cnc2c1c(=O)n(C)c(=O)n2C')}`);
  await expect(page.getByRole('heading', { name: '1 matching molecule', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: caffeine.registry_number }).first()).toBeVisible();
});
