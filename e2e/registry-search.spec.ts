/**
 * Registry search and re-registration as a new user meets them (issue 10): a SMILES in a
 * spelling other than RDKit's finds the molecule, and a name given when registering a
 * structure that is already there is kept as a synonym, said so, and shown; adding a search's
 * matches to a library reads the SMILES the same way; a search matching more than 10,000
 * molecules says its total is an estimate ("about") and pages on while pages come back full.
 */
import { expect, test, type Page } from '@playwright/test';
import pg from 'pg';
import { signInInBrowser, signUpViaApi } from './support';

test('a second name for a registered structure is kept as a synonym; any SMILES spelling finds it', async ({ page, request }) => {
  const { email, headers } = await signUpViaApi(request, 'Syn');
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
  // "Add everything this search matches" to a library reads the SMILES the same way.
  const library = (await (await request.post('/api/v1/libraries', { headers, data: { name: 'Stimulants' } })).json()).data;
  const added = await request.post(`/api/v1/libraries/${library.id}/molecules`, { headers, data: { query: { q: 'Cn1cnc2c1c(=O)n(C)c(=O)n2C' } } });
  expect(added.status()).toBe(200);
  expect((await added.json()).data).toMatchObject({ added: 1, already_present: 0 });
  const cards = await (await request.get(`/api/v1/libraries/${library.id}/molecules`, { headers })).json();
  expect(cards.data.map((c: { molecule: { id: string } }) => c.molecule.id)).toEqual([caffeine.id]);
  await page.goto(`/registry?q=${encodeURIComponent('Cn1cnc2c1c(=O)n(C)c(=O)n2C')}`);
  await expect(page.getByRole('heading', { name: '1 matching molecule', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: caffeine.registry_number }).first()).toBeVisible();
});

test('a search matching more than 10,000 molecules says "about" and pages on past the estimate', async ({ page, request }) => {
  test.skip(!process.env.DATABASE_URL, 'needs the e2e database (DATABASE_URL), as `npm test` passes it');
  const { email, organization } = await signUpViaApi(request, 'Bulk');
  // 12,345 molecules at once (the API would take minutes): the planner's estimate of a search stays a guess.
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  await db.query(
    `insert into molecules (organization_id, registry_number, inchikey, inchi, canonical_smiles, formula, name, morgan_fp, pattern_fp)
     select $1::uuid, g, 'BULK' || g, 'InChI=1S/bulk', 'C', 'CH4', 'bulk sample ' || g, '\\x00'::bytea, '\\x00'::bytea
     from generate_series(1, 12345) g`,
    [organization.id]
  );
  try {
    await pagesOfAnEstimate(page, email);
  } finally {
    // The e2e database outlives the run: take the bulk away again.
    await db.query('delete from molecules where organization_id = $1', [organization.id]);
    await db.end();
  }
});

/** The registry as the person sees a search matching more molecules than are counted exactly. */
async function pagesOfAnEstimate(page: Page, email: string) {
  await signInInBrowser(page, email);
  await expect(page).not.toHaveURL(/\/login/);
  await page.goto('/registry?q=bulk');
  await expect(page.getByRole('heading', { name: /^About [\d,]+ matching molecules$/ })).toBeVisible();
  const pager = page.getByRole('navigation', { name: 'Registry pages' });
  await expect(pager.locator('.range')).toHaveText(/^1–50 of about [\d,]+ molecules$/);

  // Whatever the estimate, a full page offers the next one, and the real last page (12,345
  // molecules: page 247 holds 45) shows its rows and offers no next.
  await page.goto('/registry?q=bulk&page=246');
  await expect(pager.locator('.range')).toHaveText(/^12,251–12,300 of about [\d,]+ molecules$/);
  await pager.getByRole('link', { name: 'Next ›' }).click();
  await expect(page).toHaveURL(/page=247/);
  await expect(pager.locator('.range')).toHaveText(/^12,301–12,345 of about [\d,]+ molecules$/);
  await expect(page.locator('tbody tr')).toHaveCount(45);
  await expect(pager.getByRole('link', { name: 'Next ›' })).toHaveCount(0);
}
