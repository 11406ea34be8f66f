/**
 * The live library board in real Chromium, three people at once: an owner
 * and a scientist edit the same board (drag and drop, the card menu, a note,
 * a comment with an @mention, undo of one's own change), a viewer watches and
 * cannot change anything, and the history brings back an earlier version —
 * each person seeing the others' changes without reloading.
 */
import { expect, test, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import { PASSWORD, signInInBrowser, uniqueEmail } from './support';

type Who = { token: string; email: string; user: { id: string; name: string }; organization: { id: string }; headers: Record<string, string> };

async function signup(request: APIRequestContext, name: string): Promise<Who> {
  const email = uniqueEmail(name.toLowerCase());
  const res = await request.post('/api/v1/auth/signup', {
    data: { email, password: PASSWORD, name, organization: { name: `${name} Bio`, kind: 'pharma' } }
  });
  expect(res.status()).toBe(201);
  const { data } = await res.json();
  return { ...data, email, headers: { Authorization: `Bearer ${data.token}` } };
}

async function join(request: APIRequestContext, owner: Who, who: Who, role: string) {
  const inv = await request.post(`/api/v1/organizations/${owner.organization.id}/invitations`, { headers: owner.headers, data: { role } });
  const { token } = (await inv.json()).data;
  expect((await request.post(`/api/v1/invitations/${token}/accept`, { headers: who.headers })).status()).toBe(200);
  const sw = await request.put('/api/v1/users/me/active-organization', { headers: who.headers, data: { organization_id: owner.organization.id } });
  expect(sw.status()).toBe(200);
}

async function openBoard(browser: Browser, who: Who, libraryId: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInInBrowser(page, who.email);
  await expect(page).not.toHaveURL(/\/login/);
  await page.goto(`/libraries/${libraryId}`);
  await expect(page.getByTestId('connection')).toHaveText('Live');
  return page;
}

/** The card with registry number `regno`, wherever it is, and in a given lane. */
const card = (page: Page, regno: string) => page.locator(`[data-regno="${regno}"]`);
const cardIn = (page: Page, lane: string, regno: string) => page.locator(`[data-lane-id="${lane}"] [data-regno="${regno}"]`);

async function drag(page: Page, regno: string, toLane: string) {
  const from = await card(page, regno).boundingBox();
  const to = await page.locator(`[data-lane-body="${toLane}"]`).boundingBox();
  if (!from || !to) throw new Error('card or lane not on screen');
  // Grab the card by its picture (not the menu button), then travel in steps like a hand would.
  await page.mouse.move(from.x + 30, from.y + 30);
  await page.mouse.down();
  await page.mouse.move(from.x + 45, from.y + 40, { steps: 3 });
  await page.mouse.move(to.x + to.width / 2, to.y + 40, { steps: 12 });
  await page.mouse.up();
}

test('two people edit one board live, a viewer watches, history restores an earlier version', async ({ browser, request }) => {
  test.setTimeout(90_000);
  const owner = await signup(request, 'Olga');
  const [sci, viewer] = await Promise.all([signup(request, 'Sami'), signup(request, 'Vera')]);
  await join(request, owner, sci, 'scientist');
  await join(request, owner, viewer, 'viewer');

  const smiles = ['c1ccccc1O', 'CCN(CC)CC', 'OC(=O)c1ccccc1', 'CC(=O)Nc1ccc(O)cc1'];
  const regnos: string[] = [];
  for (const s of smiles) {
    const r = await request.post('/api/v1/molecules', { headers: owner.headers, data: { smiles: s } });
    regnos.push((await r.json()).data.registry_number);
  }
  const ids = (await (await request.get('/api/v1/molecules?page_size=10', { headers: owner.headers })).json()).data.map((m: { id: string }) => m.id);
  const lib = (await (await request.post('/api/v1/libraries', { headers: owner.headers, data: { name: 'Hit triage' } })).json()).data;
  expect((await request.post(`/api/v1/libraries/${lib.id}/molecules`, { headers: owner.headers, data: { molecule_ids: ids } })).status()).toBe(200);

  const olga = await openBoard(browser, owner, lib.id);
  const sami = await openBoard(browser, sci, lib.id);
  const vera = await openBoard(browser, viewer, lib.id);
  for (const p of [olga, sami, vera]) for (const r of regnos) await expect(cardIn(p, 'ideas', r)).toBeVisible();
  // Roles by place in the lane: Olga drags the top card while Sami moves the bottom one, so
  // neither move shifts the card the other is about to grab.
  const order: string[] = await olga.locator('[data-lane-id="ideas"] [data-regno]').evaluateAll((els) =>
    els.map((e) => ({ regno: e.getAttribute('data-regno')!, y: e.getBoundingClientRect().top })).sort((a, b) => a.y - b.y).map((c) => c.regno)
  );
  expect([...order].sort()).toEqual([...regnos].sort());
  const [m1, m3, m4, m2] = order;

  // Presence: each sees the others on the board.
  await expect(olga.getByTestId('presence').locator('[data-presence="Sami"]')).toBeVisible();
  await expect(olga.getByTestId('presence').locator('[data-presence="Vera"]')).toBeVisible();
  await expect(vera.getByTestId('presence').locator('[data-presence="Olga"]')).toBeVisible();

  // At the same time: Olga drags M1 to Make while Sami moves M2 to Test from the card menu.
  await Promise.all([
    drag(olga, m1, 'make'),
    (async () => {
      await sami.getByRole('button', { name: `Actions for ${m2}` }).click();
      await sami.getByRole('menuitem', { name: 'Move to lane Test' }).click();
    })()
  ]);
  for (const p of [olga, sami, vera]) {
    await expect(cardIn(p, 'make', m1)).toBeVisible();
    await expect(cardIn(p, 'test', m2)).toBeVisible();
  }

  // Olga writes a note on M1; Sami, with M1 open, sees it arrive and comments, mentioning Olga.
  await card(olga, m1).getByRole('button', { name: new RegExp(`^${m1}`) }).click();
  const olgaPanel = olga.getByTestId('card-panel');
  await expect(olgaPanel.getByRole('heading', { name: m1 })).toBeVisible();
  await olgaPanel.getByRole('button', { name: 'Add a note…' }).click();
  await olgaPanel.getByRole('textbox', { name: /note/i }).pressSequentially('Needs a cleaner route before scale-up');
  await card(sami, m1).getByRole('button', { name: new RegExp(`^${m1}`) }).click();
  const samiPanel = sami.getByTestId('card-panel');
  const samiNote = samiPanel.getByRole('textbox', { name: /note/i });
  await expect(samiNote.locator('.note-caret-label', { hasText: 'Olga' })).toBeVisible(); // Olga's caret, live
  await expect(samiNote).toContainText('Needs a cleaner route before scale-up');
  // Sami sees that Olga is editing this card.
  await expect(samiPanel.getByRole('list', { name: 'Also here' })).toContainText('Olga');
  const box = samiPanel.getByRole('combobox', { name: 'Add a comment' });
  await box.click();
  await box.pressSequentially('@Olg');
  await samiPanel.getByRole('listbox', { name: 'People' }).getByRole('option', { name: 'Olga' }).click();
  await box.pressSequentially(' agreed, I will ask the CRO');
  await samiPanel.getByRole('button', { name: 'Comment' }).click();
  await expect(olgaPanel.getByRole('list', { name: 'Comments' })).toContainText('agreed, I will ask the CRO');
  await expect(olgaPanel.getByRole('list', { name: 'Comments' })).toContainText('Sami');
  // The mention reaches Olga's bell.
  await expect
    .poll(async () => (await (await request.get('/api/v1/notifications', { headers: owner.headers })).json()).data.length, { timeout: 15_000 })
    .toBeGreaterThan(0);

  // Olga undoes her own last change (the drag); Sami's move stays.
  await olgaPanel.getByRole('button', { name: 'Close details' }).click();
  await olga.getByRole('button', { name: 'Undo' }).click();
  for (const p of [olga, sami, vera]) {
    await expect(cardIn(p, 'ideas', m1)).toBeVisible();
    await expect(cardIn(p, 'test', m2)).toBeVisible();
  }

  // The viewer cannot change anything: no undo, no note editor, no menu moves, and a drag does nothing.
  await expect(vera.getByTestId('access')).toHaveText('view only');
  await expect(vera.getByRole('button', { name: 'Undo' })).toHaveCount(0);
  await drag(vera, m3, 'advance');
  await expect(cardIn(vera, 'ideas', m3)).toBeVisible();
  await card(vera, m1).getByRole('button', { name: new RegExp(`^${m1}`) }).click();
  const veraPanel = vera.getByTestId('card-panel');
  await expect(veraPanel.getByRole('textbox', { name: /note/i })).toContainText('Needs a cleaner route before scale-up');
  await expect(veraPanel.getByRole('combobox', { name: 'Add a comment' })).toHaveCount(0);
  await expect(veraPanel.getByRole('button', { name: /Remove from library/ })).toHaveCount(0);
  await veraPanel.getByRole('button', { name: 'Close details' }).click();
  await vera.getByRole('button', { name: `Actions for ${m4}` }).click();
  await expect(vera.getByRole('menuitem', { name: /Move to lane/ })).toHaveCount(0);
  await vera.keyboard.press('Escape');
  // Nothing the viewer tried reached the others.
  await expect(cardIn(olga, 'ideas', m3)).toBeVisible();

  // History in words, then back to the board as it was right after the molecules were added.
  await olga.getByRole('button', { name: 'History' }).click();
  const history = olga.getByTestId('history-panel');
  await expect(history).toContainText(`Sami moved ${m2} from Ideas to Test`);
  await expect(history).toContainText(`Sami commented on ${m1}`);
  await expect(history).toContainText(`Olga edited the note on ${m1}`);
  await history.getByRole('button', { name: /Olga added 4 molecules/ }).click();
  await expect(olga.getByText('Viewing the board as it was on')).toBeVisible();
  await olga.getByRole('button', { name: 'Restore this version' }).click();
  await olga.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
  await expect(olga.getByText('Viewing the board as it was on')).toHaveCount(0);
  for (const p of [olga, sami, vera]) {
    for (const r of regnos) await expect(cardIn(p, 'ideas', r)).toBeVisible();
  }
  // The restore is itself an attributed change, and the earlier ones are still there.
  await expect(history.locator('.entry').first()).toContainText('Olga');
  await expect(history.locator('.entry').first()).toContainText('restored the version');
  await expect(history).toContainText(`Sami moved ${m2} from Ideas to Test`);
  // The REST projection agrees with what everyone sees.
  await expect
    .poll(async () => {
      const rows = (await (await request.get(`/api/v1/libraries/${lib.id}/molecules`, { headers: viewer.headers })).json()).data;
      return rows.map((r: { lane: string }) => r.lane).join(',');
    })
    .toBe('Ideas,Ideas,Ideas,Ideas');
});

test('molecules picked in the registry, and a whole import, are added to a library from their pages', async ({ page, request }) => {
  const owner = await signup(request, 'Rita');
  const regnos: string[] = [];
  for (const smiles of ['c1ccc2ccccc2c1', 'c1ccc2[nH]ccc2c1', 'c1ccncc1']) {
    regnos.push((await (await request.post('/api/v1/molecules', { headers: owner.headers, data: { smiles } })).json()).data.registry_number);
  }
  const lib = (await (await request.post('/api/v1/libraries', { headers: owner.headers, data: { name: 'Aromatics' } })).json()).data;
  await signInInBrowser(page, owner.email);
  await expect(page).not.toHaveURL(/\/login/);

  // Two rows selected in the registry.
  await page.goto('/registry');
  await page.getByRole('checkbox', { name: `Select ${regnos[0]}` }).check();
  await page.getByRole('checkbox', { name: `Select ${regnos[2]}` }).check();
  await page.getByText('Add to library', { exact: true }).click();
  await page.getByLabel('Library', { exact: true }).selectOption({ label: 'Aromatics' });
  await page.getByRole('button', { name: 'Add the 2 selected' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Added 2 to Aromatics' })).toBeVisible();
  await page.getByRole('link', { name: 'Aromatics' }).click();
  await expect(page.getByTestId('connection')).toHaveText('Live');
  await expect(cardIn(page, 'ideas', regnos[0])).toBeVisible();
  await expect(cardIn(page, 'ideas', regnos[2])).toBeVisible();
  await expect(card(page, regnos[1])).toHaveCount(0);

  // A finished import, from its page: its new molecule joins the open board's first lane.
  const up = await request.post('/api/v1/imports', {
    headers: owner.headers,
    multipart: { file: { name: 'more.csv', mimeType: 'text/csv', buffer: Buffer.from('smiles\nc1ccc2ccccc2c1\nc1ccsc1\n') } }
  });
  const { id } = (await up.json()).data;
  await expect
    .poll(async () => (await (await request.get(`/api/v1/imports/${id}`, { headers: owner.headers })).json()).data.status, { timeout: 60_000 })
    .toBe('completed');
  const board = page;
  const other = await page.context().newPage();
  await other.goto(`/registry/imports/${id}`);
  await other.getByText('Add to library', { exact: true }).click();
  await other.getByLabel('Library', { exact: true }).selectOption({ label: 'Aromatics' });
  await other.getByRole('button', { name: 'Add all 2 from this import' }).click();
  await expect(other.getByRole('status').filter({ hasText: 'Added 1 to Aromatics (1 already there)' })).toBeVisible();
  await expect(board.locator('[data-lane-id="ideas"] [data-regno]')).toHaveCount(3);
  expect((await (await request.get(`/api/v1/libraries/${lib.id}`, { headers: owner.headers })).json()).data.molecule_count).toBe(3);
});
