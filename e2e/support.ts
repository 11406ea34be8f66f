import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';

export const PASSWORD = 'correct horse battery';
export const uniqueEmail = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@e2e.example`;

/**
 * Sign up through the API: `name` is the person, `<name> Labs` their new organisation.
 * `token` is a session token; `headers` authenticate API requests with it.
 */
export async function signUpViaApi(request: APIRequestContext, name: string, kind: 'pharma' | 'cro' = 'pharma') {
  const email = uniqueEmail(name.toLowerCase().replace(/[^a-z0-9]+/g, '-'));
  const res = await request.post('/api/v1/auth/signup', {
    data: { email, password: PASSWORD, name, organization: { name: `${name} Labs`, kind } }
  });
  expect(res.status()).toBe(201);
  const data: { token: string; user: { id: string; name: string }; organization: { id: string; name: string } } = (await res.json()).data;
  return { ...data, email, headers: { Authorization: `Bearer ${data.token}` } };
}

/** Sign up through the page, as a person would. */
export async function signUpInBrowser(page: Page, opts: { name: string; email: string; organization: string; kind: 'pharma' | 'cro' }) {
  await page.goto('/signup');
  await page.getByLabel('Your name').fill(opts.name);
  await page.getByLabel('Work email').fill(opts.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Organisation name').fill(opts.organization);
  await page.getByLabel(opts.kind === 'cro' ? /CRO/ : /Sponsor/).check();
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: `Welcome, ${opts.name.split(' ')[0]}` })).toBeVisible();
}

export async function signInInBrowser(page: Page, email: string, password = PASSWORD) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function signOutInBrowser(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
}

/** As an owner/admin on /settings/organization, create an invitation link for `role`. */
export async function createInviteLink(page: Page, role: string, email = ''): Promise<string> {
  await page.goto('/settings/organization');
  if (email) await page.getByLabel(/^Email/).fill(email);
  await page.getByLabel('Role', { exact: true }).selectOption(role);
  await page.getByRole('button', { name: 'Create invitation link' }).click();
  const link = page.getByTestId('invite-url');
  await expect(link).toBeVisible();
  return link.inputValue();
}
