// Shared steps of the browser tests. Specs run serially against one app, in any order or
// alone: whoever arrives first does the first-run setup.
import { expect, Page } from '@playwright/test';

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
