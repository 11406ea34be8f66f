/**
 * The import journey in the browser: drop a file with bad rows, map columns,
 * start, watch the progress bar move live, read the rejected rows with their
 * reasons, and revert the import.
 */
import { expect, test } from '@playwright/test';
import { signUpInBrowser, uniqueEmail } from './support';

/** 6,000 rows of distinct amino alcohols; every 10th row is garbage and one row is ragged. */
function makeFile() {
  const lines = ['smiles,name,sponsor_id,IC50 [nM]'];
  const bad: number[] = [];
  for (let i = 1; i <= 6000; i++) {
    const [a, b, c] = [i % 25, Math.floor(i / 25) % 10, Math.floor(i / 250) % 25];
    if (i % 10 === 0) {
      lines.push(`not-a-smiles-${i},bad ${i},SP-${i},1`);
      bad.push(i);
    } else if (i === 4321) {
      lines.push(`CCO,ragged,SP-${i},1,extra,cells`);
      bad.push(i);
    } else {
      lines.push(`C${'C'.repeat(a)}N(C${'C'.repeat(b)})${'C'.repeat(c)}CO,m${i},SP-${i},${(i % 97) + 0.5}`);
    }
  }
  return { buffer: Buffer.from(lines.join('\n') + '\n'), rows: 6000, bad };
}

test('import a file with bad rows, watch it run, read the errors, revert it', async ({ page }) => {
  test.setTimeout(180_000);
  await signUpInBrowser(page, { name: 'Ingrid Importer', email: uniqueEmail('importer'), organization: 'Import Bio', kind: 'pharma' });
  const file = makeFile();

  await page.goto('/registry/import');
  await expect(page.getByRole('heading', { name: 'Import a file' })).toBeVisible();
  await page.locator('#import-file').setInputFiles({ name: 'cro-batch.csv', mimeType: 'text/csv', buffer: file.buffer });

  // The preview shows the first rows with pictures and a guessed mapping.
  await expect(page.getByRole('heading', { name: 'First rows' })).toBeVisible();
  const picture = page.getByRole('img', { name: 'structure in row 1', exact: true });
  await expect(picture).toBeVisible();
  await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  await expect(page.getByText(/Structure from\s+“smiles”/)).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('import-preview.png'), fullPage: true });

  await page.getByRole('button', { name: /^Start import of/ }).click();
  await expect(page).toHaveURL(/\/registry\/imports\/[0-9a-f-]{36}$/, { timeout: 30_000 });

  // Watch the bar without reloading: record every value it shows until the import ends.
  await page.evaluate(() => {
    const w = window as unknown as { __seen: Array<{ now: number | null; status: string | null }> };
    w.__seen = [];
    const sample = () => {
      const bar = document.querySelector('[role="progressbar"][aria-label="Import progress"]');
      const badge = document.querySelector('h1 [data-status]');
      const now = bar?.getAttribute('aria-valuenow');
      w.__seen.push({ now: now == null ? null : Number(now), status: badge?.getAttribute('data-status') ?? null });
    };
    sample();
    new MutationObserver(sample).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  const badge = page.locator('h1 [data-status]');
  await page.screenshot({ path: test.info().outputPath('import-running.png'), fullPage: true });
  await expect(badge).toHaveAttribute('data-status', 'completed', { timeout: 150_000 });

  const seen = await page.evaluate(() => (window as unknown as { __seen: Array<{ now: number | null; status: string | null }> }).__seen);
  expect(['queued', 'running']).toContain(seen[0].status); // it was still working when we arrived…
  const values = seen.map((s) => s.now).filter((v): v is number => v !== null);
  expect(values.at(-1)).toBe(file.rows); // …and the same page followed it to the end
  for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);

  const count = (name: string) => page.locator('.counts .count').filter({ hasText: name }).locator('dd').first();
  await expect(count('Invalid')).toHaveText(String(file.bad.length));
  const registered = Number((await count('Registered').innerText()).replace(/,/g, ''));
  const duplicates = Number((await count('Duplicates').innerText()).replace(/,/g, ''));
  expect(registered + duplicates + file.bad.length).toBe(file.rows);
  expect(registered).toBeGreaterThan(0);

  await page.screenshot({ path: test.info().outputPath('import-done.png'), fullPage: true });
  // The rejected rows, with the row number, the input as read and a reason.
  const errors = page.getByRole('region', { name: 'Rejected rows table' });
  await expect(errors.locator('tbody tr').first()).toContainText('10');
  await expect(errors.locator('tbody tr').first()).toContainText('not-a-smiles-10');
  const csv = await page.request.get(await page.getByRole('link', { name: 'Download errors (CSV)' }).getAttribute('href').then((h) => h!));
  expect(csv.status()).toBe(200);
  const csvText = await csv.text();
  expect(csvText.split('\n')[0]).toMatch(/row_number/);
  expect(csvText).toContain('not-a-smiles-4310');
  expect(csvText).toMatch(/4321.*CCO,ragged/);

  // The molecules are in the registry…
  await page.getByRole('link', { name: 'View molecules' }).click();
  await expect(page.getByText(new RegExp(`^${registered.toLocaleString('en')} matching molecules`)).first()).toBeVisible();
  await page.goBack();

  // …until the import is reverted.
  await page.getByRole('button', { name: 'Revert import…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Revert this import?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Revert import' }).click();
  await expect(badge).toHaveAttribute('data-status', 'reverted');
  await expect(page.getByText(/^Import reverted: the molecules it created/)).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('import-reverted.png'), fullPage: true });

  const api = await page.request.get(`/api/v1/molecules?page_size=1`);
  expect((await api.json()).meta.total).toBe(0);
});
