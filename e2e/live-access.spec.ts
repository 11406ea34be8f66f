/**
 * Access follows changes on an open board, in real Chromium: a scientist has
 * the board open when the owner lowers the library's member access to view
 * (the page turns view only and says why), then removes them from the
 * organisation (the board closes with the reason). Nobody reloads. And a tab
 * whose session is signed out in another tab says so in the app shell (the
 * socket.io channel ends) and closes its board.
 */
import { expect, test } from '@playwright/test';
import { signInInBrowser, signUpViaApi } from './support';

test('an open board turns view only, then closes, as the owner narrows access', async ({ browser, request }) => {
  test.setTimeout(60_000);
  const owner = await signUpViaApi(request, 'Olga');
  const sci = await signUpViaApi(request, 'Sami');
  const inv = await request.post(`/api/v1/organizations/${owner.organization.id}/invitations`, { headers: owner.headers, data: { role: 'scientist' } });
  expect((await request.post(`/api/v1/invitations/${(await inv.json()).data.token}/accept`, { headers: sci.headers })).status()).toBe(200);
  expect((await request.put('/api/v1/users/me/active-organization', { headers: sci.headers, data: { organization_id: owner.organization.id } })).status()).toBe(200);
  const mol = (await (await request.post('/api/v1/molecules', { headers: owner.headers, data: { smiles: 'c1ccccc1O' } })).json()).data;
  const lib = (await (await request.post('/api/v1/libraries', { headers: owner.headers, data: { name: 'Live access' } })).json()).data;
  expect((await request.post(`/api/v1/libraries/${lib.id}/molecules`, { headers: owner.headers, data: { molecule_ids: [mol.id] } })).status()).toBe(200);

  const page = await (await browser.newContext()).newPage();
  await signInInBrowser(page, sci.email);
  await expect(page).not.toHaveURL(/\/login/);
  await page.goto(`/libraries/${lib.id}`);
  await expect(page.getByTestId('connection')).toHaveText('Live');
  await expect(page.getByTestId('access')).toHaveText('can edit');
  await expect(page.getByRole('link', { name: 'Add molecules' })).toBeVisible();

  expect((await request.patch(`/api/v1/libraries/${lib.id}`, { headers: owner.headers, data: { member_access: 'view' } })).status()).toBe(200);
  await expect(page.getByTestId('access-message')).toHaveText('Your access to this library was changed to view only.');
  await expect(page.getByTestId('access')).toHaveText('view only');
  await expect(page.getByRole('link', { name: 'Add molecules' })).toHaveCount(0);
  await expect(page.getByText('You can view this board but not change it.')).toBeVisible();
  await page.screenshot({ path: '/tmp/shots/collabsec/board-view-only.png' });

  expect((await request.delete(`/api/v1/organizations/${owner.organization.id}/members/${sci.user.id}`, { headers: owner.headers })).status()).toBeLessThan(300);
  await expect(page.getByTestId('access-message')).toContainText('Your access to this library was removed.');
  await expect(page.getByTestId('connection')).toHaveText('No access');
  await page.screenshot({ path: '/tmp/shots/collabsec/board-closed.png' });
});

test('signing out in another tab ends the live channel and the board in this one, saying why', async ({ browser, request }) => {
  test.setTimeout(60_000);
  const owner = await signUpViaApi(request, 'Ines');
  const lib = (await (await request.post('/api/v1/libraries', { headers: owner.headers, data: { name: 'Signed out' } })).json()).data;
  const context = await browser.newContext();
  const board = await context.newPage();
  await signInInBrowser(board, owner.email);
  await expect(board).not.toHaveURL(/\/login/);
  await board.goto(`/libraries/${lib.id}`);
  await expect(board.getByTestId('connection')).toHaveText('Live');
  await expect(board.getByTestId('live-ended')).toHaveCount(0);

  // The same browser, another tab: its Sign out ends the session both tabs share.
  const other = await context.newPage();
  await other.goto('/libraries');
  await other.getByRole('button', { name: 'Sign out' }).click();
  await expect(other).toHaveURL(/\/login/);

  await expect(board.getByTestId('live-ended')).toContainText('You were signed out. Sign in again to keep working.');
  await expect(board.getByTestId('access-message')).toContainText('You were signed out.');
  await expect(board.getByTestId('connection')).toHaveText('No access');
  await board.screenshot({ path: '/tmp/shots/revcollab/signed-out-elsewhere.png' });
  await context.close();
});
