import { expect, test } from '@playwright/test';
import { PASSWORD, createInviteLink, signInInBrowser, signOutInBrowser, signUpInBrowser, uniqueEmail } from './support';

test('a scientist signs up, signs out and signs in again', async ({ page }) => {
  const email = uniqueEmail('founder');
  await signUpInBrowser(page, { name: 'Rosalind Franklin', email, organization: 'Kings Bio', kind: 'pharma' });
  await expect(page.getByText('You are working in Kings Bio as')).toBeVisible();
  await expect(page.getByTestId('current-role')).toHaveText('owner');
  for (const item of ['Registry', 'Libraries', 'Submissions', 'Dashboards', 'Settings']) {
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: item })).toBeVisible();
  }

  await signOutInBrowser(page);
  // Signed out means signed out: the app redirects to the sign-in page.
  await page.goto('/settings');
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Fsettings/);

  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Email or password is incorrect');
  await expect(page.getByLabel('Email')).toHaveValue(email);

  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
});

test('sign-up errors are shown next to the fields and keep what was typed', async ({ page }) => {
  await page.goto('/signup');
  await page.getByLabel('Your name').fill('Short Password');
  await page.getByLabel('Work email').fill(uniqueEmail('short'));
  await page.getByLabel('Password').fill('short');
  await page.getByLabel('Organisation name').fill('Tiny Labs');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('must be at least 10 characters')).toBeVisible();
  await expect(page.getByLabel('Organisation name')).toHaveValue('Tiny Labs');
});

test('an owner invites people who join with their roles; a viewer cannot reach the admin page', async ({ browser }) => {
  const ownerCtx = await browser.newContext();
  const owner = await ownerCtx.newPage();
  await signUpInBrowser(owner, { name: 'Olivia Owner', email: uniqueEmail('owner'), organization: 'Invite Pharma', kind: 'pharma' });

  // A viewer joins through a link, creating their account on the way.
  const viewerEmail = uniqueEmail('viewer');
  const viewerLink = await createInviteLink(owner, 'viewer', viewerEmail);
  const viewerCtx = await browser.newContext();
  const viewer = await viewerCtx.newPage();
  await viewer.goto(viewerLink);
  await expect(viewer.getByRole('heading', { name: 'Join Invite Pharma' })).toBeVisible();
  await expect(viewer.getByText('invited as viewer')).toBeVisible();
  await viewer.getByLabel('Your name').fill('Victor Viewer');
  await expect(viewer.getByLabel('Email')).toHaveValue(viewerEmail);
  await viewer.getByLabel('Choose a password').fill(PASSWORD);
  await viewer.getByRole('button', { name: 'Create account and join' }).click();
  await expect(viewer.getByRole('heading', { name: 'Welcome, Victor' })).toBeVisible();
  await expect(viewer.getByTestId('current-role')).toHaveText('viewer');

  // The link works once.
  const reuse = await browser.newContext();
  const reusePage = await reuse.newPage();
  await reusePage.goto(viewerLink);
  await expect(reusePage.getByRole('alert')).toHaveText('This invitation has already been used');
  await reuse.close();

  // The viewer cannot reach the admin page, nor act through its form endpoint.
  const res = await viewer.goto('/settings/organization');
  expect(res?.status()).toBe(403);
  await expect(viewer.getByText('Only owners and admins can manage the organisation')).toBeVisible();
  await expect(viewer.getByRole('heading', { name: 'You do not have access to this page' })).toBeVisible();
  await expect(viewer.getByRole('navigation', { name: 'Main' })).toBeVisible();

  // The owner was notified live that the viewer joined (workers → socket.io → bell).
  await expect(owner.getByTestId('notification-count')).toHaveText('1', { timeout: 15_000 });
  await owner.getByTestId('notification-bell').click();
  await expect(owner.getByText('Victor Viewer joined Invite Pharma as viewer')).toBeVisible();

  // An existing user (with their own organisation) joins as scientist and can switch between the two.
  const sciEmail = uniqueEmail('scientist');
  const sciCtx = await browser.newContext();
  const sci = await sciCtx.newPage();
  await signUpInBrowser(sci, { name: 'Sam Scientist', email: sciEmail, organization: 'Sam CRO', kind: 'cro' });
  const sciLink = await createInviteLink(owner, 'scientist');
  await sci.goto(sciLink);
  await expect(sci.getByText(`Signed in as ${sciEmail}`)).toBeVisible();
  await sci.getByRole('button', { name: 'Join Invite Pharma' }).click();
  await expect(sci.getByText('You are working in Invite Pharma as')).toBeVisible();
  await expect(sci.getByTestId('current-role')).toHaveText('scientist');
  await sci.getByTestId('org-switcher').selectOption({ label: 'Sam CRO (CRO)' });
  await expect(sci.getByText('You are working in Sam CRO as')).toBeVisible();
  await expect(sci.getByTestId('current-role')).toHaveText('owner');

  // The owner sees both new members with their roles.
  await owner.goto('/settings/organization');
  const members = owner.getByTestId('members');
  await expect(members.getByRole('row', { name: /Victor Viewer/ }).getByRole('combobox')).toHaveValue('viewer');
  await expect(members.getByRole('row', { name: /Sam Scientist/ }).getByRole('combobox')).toHaveValue('scientist');

  await Promise.all([ownerCtx.close(), viewerCtx.close(), sciCtx.close()]);
});

test('API tokens are shown once and can be revoked', async ({ page, request }) => {
  await signUpInBrowser(page, { name: 'Tina Token', email: uniqueEmail('token'), organization: 'Token Bio', kind: 'pharma' });
  await page.goto('/settings/tokens');
  await page.getByLabel('Name').fill('ELN sync');
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = (await page.getByTestId('new-token').textContent())!.trim();
  expect(token).toMatch(/^clk_[a-z2-7]{32}$/);

  const me = await request.get('/api/v1/users/me', { headers: { Authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).data.name).toBe('Tina Token');

  await page.reload();
  await expect(page.getByTestId('new-token')).toHaveCount(0); // never shown again
  await page.getByRole('row', { name: /ELN sync/ }).getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByText('No tokens yet.')).toBeVisible();
  const after = await request.get('/api/v1/users/me', { headers: { Authorization: `Bearer ${token}` } });
  expect(after.status()).toBe(401);
});
