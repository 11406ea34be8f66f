/**
 * Rough edges a new user met (issue 10), each as the user would notice it: the registry fits
 * a phone, a pager counts one molecule as "1 molecule", the register form stops shouting once
 * the structure is corrected, the API docs show code rather than Markdown backticks, and a
 * board card with a note, a comment and tags keeps its ⋯ button and its tags whole.
 */
import { expect, test, type APIRequestContext } from '@playwright/test';
import { signInInBrowser, signUpViaApi } from './support';

type Who = Awaited<ReturnType<typeof signUpViaApi>>;

async function register(request: APIRequestContext, who: Who, smiles: string, name?: string): Promise<{ id: string; registry_number: string }> {
  const res = await request.post('/api/v1/molecules', { headers: who.headers, data: { smiles, name } });
  expect(res.ok()).toBe(true);
  return (await res.json()).data;
}

test('the registry fits a 390 px phone and counts a single molecule as "1 molecule"', async ({ page, request }) => {
  const who = await signUpViaApi(request, 'Pia');
  await register(request, who, 'CC(=O)Oc1ccccc1C(=O)O', 'aspirin');
  await page.setViewportSize({ width: 390, height: 844 });
  await signInInBrowser(page, who.email);
  await expect(page).not.toHaveURL(/\/login/);
  await page.goto('/registry');
  await expect(page.getByRole('heading', { name: '1 molecule', exact: true })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Registry pages' })).toHaveText('1 molecule');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  // The same with a filter chip and a search in the toolbar.
  await page.goto('/registry?q=aspirin');
  await expect(page.getByRole('heading', { name: '1 matching molecule', exact: true })).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});

test('the register form drops its error banner and the field error once the structure is corrected', async ({ page, request }) => {
  const who = await signUpViaApi(request, 'Rui');
  await signInInBrowser(page, who.email);
  await expect(page).not.toHaveURL(/\/login/);
  await page.goto('/registry/register');
  const smiles = page.getByLabel('SMILES');
  await smiles.fill('C1CC(');
  await page.getByRole('button', { name: 'Register' }).click();
  const banner = page.getByRole('alert').filter({ hasText: /structure|SMILES|highlighted/i });
  await expect(banner).toBeVisible();
  await expect(page.locator('#smiles-error')).toBeVisible();
  await expect(smiles).toHaveAttribute('aria-invalid', 'true');

  await smiles.fill('CC(=O)Oc1ccccc1C(=O)O');
  await expect(banner).toHaveCount(0);
  await expect(page.locator('#smiles-error')).toHaveCount(0);
  await expect(smiles).not.toHaveAttribute('aria-invalid', 'true');

  // Back to exactly what was refused: that error stands again.
  await smiles.fill('C1CC(');
  await expect(banner).toBeVisible();
});

test('the API docs render inline code, not Markdown backticks, and long paths stay on screen', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/api/docs');
  const main = page.getByRole('main');
  await expect(main.getByRole('heading', { level: 1 })).toBeVisible();
  expect(await main.innerText()).not.toContain('`');
  await expect(main.locator('td code', { hasText: 'details' }).first()).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  // The longest path in the endpoint list ends inside the sidebar.
  const links = page.getByRole('complementary', { name: 'Endpoints' }).getByRole('link').filter({ hasText: '{' });
  for (const link of await links.all()) {
    const clipped = await link.evaluate((a) => a.scrollWidth > a.clientWidth + 1);
    expect(clipped, await link.innerText()).toBe(false);
  }
});

test('a board card with a note, a comment and tags keeps its ⋯ button inside and its tags whole', async ({ page, request }) => {
  test.setTimeout(60_000);
  const who = await signUpViaApi(request, 'Noor');
  const m = await register(request, who, 'COc1cc2ncnc(Nc3ccc(F)c(Cl)c3)c2cc1OCCCN1CCOCC1', 'gefitinib');
  const lib = (await (await request.post('/api/v1/libraries', { headers: who.headers, data: { name: 'Rough edges' } })).json()).data;
  expect((await request.post(`/api/v1/libraries/${lib.id}/molecules`, { headers: who.headers, data: { molecule_ids: [m.id] } })).status()).toBe(200);

  await page.setViewportSize({ width: 1280, height: 860 });
  await signInInBrowser(page, who.email);
  await expect(page).not.toHaveURL(/\/login/);
  await page.goto(`/libraries/${lib.id}`);
  await expect(page.getByTestId('connection')).toHaveText('Live');
  const card = page.locator(`[data-regno="${m.registry_number}"]`);
  await card.getByRole('button', { name: new RegExp(`^${m.registry_number}`) }).click();
  const panel = page.getByTestId('card-panel');
  for (const tag of ['covalent', 'quinazoline']) {
    await panel.getByPlaceholder('Add tag').fill(tag);
    await panel.getByPlaceholder('Add tag').press('Enter');
  }
  await panel.getByRole('button', { name: 'Add a note…' }).click();
  await panel.getByRole('textbox', { name: /note/i }).pressSequentially('Check solubility');
  const box = panel.getByRole('combobox', { name: 'Add a comment' });
  await box.click();
  await box.pressSequentially('first pass looks fine');
  await panel.getByRole('button', { name: 'Comment' }).click();
  await expect(panel.getByRole('list', { name: 'Comments' })).toContainText('first pass looks fine');

  // "Exact mass (Da)" and its value each show whole, on one line, in the panel.
  const exact = panel.locator('.values div', { hasText: 'Exact mass' });
  for (const part of [exact.locator('dt'), exact.locator('dd')]) {
    expect(await part.evaluate((el) => el.getBoundingClientRect().height < 1.8 * parseFloat(getComputedStyle(el).fontSize))).toBe(true);
    expect(await part.evaluate((el) => el.scrollWidth <= el.clientWidth), await part.innerText()).toBe(true);
  }
  await panel.getByRole('button', { name: 'Close details' }).click();

  await expect(card.getByTitle('1 comment')).toBeVisible();
  await expect(card.getByTitle('Has a note')).toBeVisible();
  const cardBox = (await card.boundingBox())!;
  const menuBox = (await card.getByRole('button', { name: `Actions for ${m.registry_number}` }).boundingBox())!;
  expect(menuBox.x).toBeGreaterThanOrEqual(cardBox.x);
  expect(menuBox.x + menuBox.width).toBeLessThanOrEqual(cardBox.x + cardBox.width);
  expect(menuBox.y + menuBox.height).toBeLessThanOrEqual(cardBox.y + cardBox.height);
  // The registry number is not cut to make room for the icons.
  expect(await card.locator('.open-btn').evaluate((b) => b.scrollWidth <= b.clientWidth)).toBe(true);
  // Tags show whole (or, when there is no room, as "+N" beside whole ones), never cut to a few letters.
  const chips = card.locator('.chip');
  await expect(chips.first()).toHaveText('covalent');
  for (const chip of await chips.all()) expect(await chip.evaluate((c) => c.scrollWidth <= c.clientWidth), await chip.innerText()).toBe(true);
  const shown = await chips.count();
  if (shown < 2) await expect(card.locator('.more')).toHaveText(`+${2 - shown}`);
  await expect(card.getByRole('button', { name: new RegExp(`^${m.registry_number}`) })).toHaveAttribute('title', /covalent, quinazoline/);
});
