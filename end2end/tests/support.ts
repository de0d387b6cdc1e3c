// Shared steps of the browser tests. Specs run serially against one app, in any order or
// alone: whoever arrives first does the first-run setup.
import { expect, type APIResponse, type Page } from '@playwright/test';

export const admin = { name: 'Ada Admin', email: 'ada@acme.test', password: 'correct horse battery' };

/** Signs in as the team's admin, doing first-run setup when the app is fresh. */
export async function signInAsAdmin(page: Page): Promise<void> {
  await page.goto('/');
  if (page.url().endsWith('/setup')) {
    await page.getByLabel('Team name').fill('Acme Sales');
    await page.getByLabel('Postal address').fill('1 Main Street, Springfield');
    await page.getByLabel('Your name').fill(admin.name);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password', { exact: true }).fill(admin.password);
    await page.getByLabel('Repeat the password').fill(admin.password);
    await page.getByRole('button', { name: 'Create team and sign in' }).click();
  } else if (page.url().includes('/login')) {
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
}

/** A new API token, made on the settings page. */
export async function apiToken(page: Page): Promise<string> {
  await page.goto('/settings', { waitUntil: 'networkidle' });
  const token = page.getByTestId('new-api-token');
  // The token is shown by the hydrated page; a click before hydration posts the plain form
  // (which creates a token nobody sees), so try again until the page shows one.
  await expect(async () => {
    await page.getByLabel('New token name').fill(`e2e ${Date.now()}`);
    await page.getByRole('button', { name: 'Create token' }).click();
    await expect(token).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 45_000 });
  return (await token.innerText()).trim();
}

/** The JSON body of a successful response (the test fails with the body otherwise). */
export async function json(response: APIResponse) {
  expect(response.ok(), `${response.status()} ${await response.text()}`).toBeTruthy();
  return response.json();
}

/** The sandbox mailbox `address` as the team's sender account, connected through the
 *  (simulated) consent page if the team does not have it yet. */
export async function sandboxSender(page: Page, auth: Record<string, string>, address: string) {
  let senders = await json(await page.request.get('/api/v1/senders', { headers: auth }));
  if (!senders.some((s: { email: string }) => s.email === address)) {
    const { authorization_url } = await json(
      await page.request.post('/api/v1/senders/connect', { headers: auth }),
    );
    await page.goto(authorization_url);
    await page.getByLabel(address).check();
    await page.getByRole('button', { name: 'Allow' }).click();
    // Started through the API, the consent ends on a page of its own.
    await expect(page.getByRole('heading', { name: 'Gmail account connected' })).toBeVisible();
    senders = await json(await page.request.get('/api/v1/senders', { headers: auth }));
  }
  return senders.find((s: { email: string }) => s.email === address);
}
