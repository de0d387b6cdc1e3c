// Shared steps of the browser tests. Specs run serially against one app, in any order or
// alone: whoever arrives first does the first-run setup.
import { expect, type APIResponse, type Locator, type Page } from '@playwright/test';

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
  await expect(page.getByRole('heading', { name: 'Dashboard', exact: true })).toBeVisible();
}

/** The JSON of a successful API response; fails the test with the body otherwise. */
export async function json(response: APIResponse) {
  expect(response.ok(), `${response.status()} ${await response.text()}`).toBeTruthy();
  return response.json();
}

/** A new API token, made on the settings page, as the `Authorization` header. */
export async function apiAuth(page: Page): Promise<{ Authorization: string }> {
  await page.goto('/settings', { waitUntil: 'networkidle' });
  const token = page.getByTestId('new-api-token');
  // The token is shown by the hydrated page; a click before hydration posts the plain form
  // (which creates a token nobody sees), so try again until the page shows one.
  await expect(async () => {
    await page.getByLabel('New token name').fill(`e2e ${Date.now()}`);
    await page.getByRole('button', { name: 'Create token' }).click();
    await expect(token).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 45_000 });
  return { Authorization: `Bearer ${(await token.innerText()).trim()}` };
}

export type Sender = { id: string; email: string };

/** The card of the sender account `email` on the Senders page. */
export function senderCard(page: Page, email: string): Locator {
  return page.locator(`[data-testid="sender-card"][data-email="${email}"]`);
}

/**
 * Opens the Senders page and connects the sandbox mailbox `address` there ("Connect Gmail",
 * then the simulated consent page) unless the team has it already; an address the sandbox
 * does not know becomes a new mailbox of `kind`. Returns its card, on the Senders page.
 */
export async function connectOnSendersPage(page: Page, address: string, kind = 'gmail'): Promise<Locator> {
  await page.goto('/senders');
  await expect(page.getByRole('heading', { name: 'Sender accounts', exact: true })).toBeVisible();
  const card = senderCard(page, address);
  if (await card.count()) return card;
  await page.getByRole('button', { name: 'Connect Gmail' }).click();
  await expect(page.getByRole('heading', { name: 'Choose an account' })).toBeVisible();
  await chooseOnConsentPage(page, address, kind);
  await expect(page.getByTestId('connected-banner')).toContainText(address);
  return card;
}

/** On the sandbox's consent page: picks `address` (or creates it as a `kind` mailbox) and allows. */
async function chooseOnConsentPage(page: Page, address: string, kind: string): Promise<void> {
  // A known mailbox is listed as "<address> (<kind>)".
  const listed = page.getByLabel(`${address} (`);
  if (await listed.count()) {
    await listed.check();
  } else {
    await page.getByLabel('A new mailbox:').check();
    await page.locator('input[name="new_address"]').fill(address);
    await page.locator('select[name="new_kind"]').selectOption(kind);
  }
  await page.getByRole('button', { name: 'Allow' }).click();
}

/**
 * The team's sender account for the sandbox mailbox `address`, connected through the
 * (simulated) consent page unless the team has it already. An address the sandbox does not
 * know becomes a new mailbox of `kind`.
 */
export async function sandboxSender(page: Page, auth: object, address: string, kind = 'gmail'): Promise<Sender> {
  const find = async () => (await json(await page.request.get('/api/v1/senders', { headers: auth })) as Sender[])
    .find((s) => s.email === address);
  const known = await find();
  if (known) return known;
  const { authorization_url } = await json(await page.request.post('/api/v1/senders/connect', { headers: auth }));
  await page.goto(authorization_url);
  await chooseOnConsentPage(page, address, kind);
  // Started through the API, the consent ends on a page of its own.
  await expect(page.getByRole('heading', { name: 'Gmail account connected' })).toBeVisible();
  return (await find())!;
}

export type NewLead = { email: string; first_name?: string; company?: string };

/**
 * A campaign with `leads` (first name Pat and company Acme unless given), sending from
 * `senders` every day around the clock without gaps; a draft until the test starts it.
 */
export async function campaignWithLeads(
  page: Page,
  auth: object,
  spec: { name: string; senders: Sender[]; steps: object[]; leads: NewLead[] },
): Promise<{ id: string }> {
  const campaign = await json(await page.request.post('/api/v1/campaigns', {
    headers: auth,
    data: {
      name: spec.name,
      sender_ids: spec.senders.map((s) => s.id),
      steps: spec.steps,
      schedule: { timezone: 'UTC', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
        start_hour: 0, end_hour: 24, min_gap_seconds: 0, max_gap_seconds: 0 },
    },
  }));
  await json(await page.request.post(`/api/v1/campaigns/${campaign.id}/leads`, {
    headers: { ...auth, 'content-type': 'text/csv' },
    data: ['email,first_name,company',
      ...spec.leads.map((l) => `${l.email},${l.first_name ?? 'Pat'},${l.company ?? 'Acme'}`), ''].join('\n'),
  }));
  return campaign;
}
