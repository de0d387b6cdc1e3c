// The dashboard follows a campaign live: with the page open, the campaign starts, sends up
// to its account's daily cap and stops; the cap is raised, it sends the rest and completes. The progress
// bars, counts and the account's state move without the page ever reloading. Uses a sandbox
// mailbox of its own (a new one each run), so the other specs' accounts keep their counts.
import { expect, type Page, test } from '@playwright/test';
import { apiAuth, campaignWithLeads, json, sandboxSender, signInAsAdmin } from './support';

test('the dashboard shows a campaign progressing live, without reloading', async ({ page }) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page);
  const auth = await apiAuth(page);
  const run = Date.now();
  const sender = await sandboxSender(page, auth, `dora${run}@dashboard.sandbox.test`);
  await json(await page.request.patch(`/api/v1/senders/${sender.id}`, { headers: auth, data: { daily_cap: 2 } }));
  const leads = ['amy', 'ben', 'cal', 'dee'].map((name) => ({ email: `${name}${run}@prospects.example` }));
  const campaign = await campaignWithLeads(page, auth, {
    name: `Live progress ${run}`,
    senders: [sender],
    steps: [{ subject: 'Idea for <<company>>', body: 'Hi <<first_name>>, a quick idea.' }],
    leads,
  });

  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Dashboard', exact: true })).toBeVisible();
  await expect(page.getByTestId('live-status')).toHaveText('Live', { timeout: 30_000 });
  // Survives only as long as the document: a reload would lose it.
  await page.evaluate(() => { (window as unknown as { sameDocument: boolean }).sameDocument = true; });
  const card = page.locator(`[data-testid="campaign-card"][data-campaign-id="${campaign.id}"]`);
  await expect(card).toHaveCount(0);

  // Started elsewhere (here: the API), the campaign appears and sends up to the cap of 2.
  await json(await page.request.post(`/api/v1/campaigns/${campaign.id}/start`, { headers: auth }));
  await expect(card).toBeVisible({ timeout: 10_000 });
  const overall = card.getByRole('progressbar', { name: 'Overall' });
  const today = card.getByRole('progressbar', { name: 'Today' });
  await expect(overall).toHaveAttribute('aria-valuenow', '2', { timeout: 15_000 });
  await expect(overall).toHaveAttribute('aria-valuemax', '4');
  await expect(overall).toHaveAttribute('aria-valuetext', '2 of 4 messages');
  await expect(today).toHaveAttribute('aria-valuetext', '2 of 2 today');
  await expect(card.getByTestId('leads-mailed')).toContainText('2 of 4 leads mailed');
  const account = card.locator(`[data-testid="campaign-sender"][data-email="${sender.email}"]`);
  await expect(account).toContainText('2 of 2 in 24 h');
  await expect(account).toContainText('Active');
  // The cap is reached: the next send waits for a slot to free up, a day after the first
  // (23 h 30 min or more rounds to a day).
  await expect(card.getByTestId('next-send')).toContainText('in 1 day');

  // A higher cap lets the rest go out; the bars fill up, still without a reload.
  await json(await page.request.patch(`/api/v1/senders/${sender.id}`, { headers: auth, data: { daily_cap: 10 } }));
  await expect(overall).toHaveAttribute('aria-valuenow', '4', { timeout: 15_000 });
  await expect(overall).toHaveAttribute('aria-valuetext', '4 of 4 messages');
  await expect(today).toHaveAttribute('aria-valuetext', '4 of 4 today');
  await expect(card.getByTestId('next-send')).toContainText('Nothing left to send');
  // With nothing left to send, the campaign completes by itself and says when it finished.
  await expect(card.getByText('completed', { exact: true })).toBeVisible({ timeout: 10_000 });
  await expect(card.getByTestId('status-reason')).toContainText('Nothing is left to send');
  await expect(card.getByTestId('eta')).toContainText(/Finished\s*now/);
  await expect(account).toContainText('4 of 10 in 24 h');
  await expect(page.getByTestId('live-status')).toHaveText('Live');
  expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
  await page.screenshot({ path: test.info().outputPath('dashboard.png'), fullPage: true });

  // The card links to the campaign, which says when it finished.
  await card.getByRole('link', { name: `Live progress ${run}` }).click();
  await expect(page).toHaveURL(new RegExp(`/campaigns/${campaign.id}$`));
  await expect(page.getByTestId('campaign-status')).toHaveText('completed');
  await expect(page.getByTestId('completed-at')).toHaveText(/^Finished \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
});

// Browsers open at most six HTTP/1.1 connections to the app, so a hidden dashboard tab closes
// its live stream; shown again, it opens a new one and catches up on what it missed.
test('a hidden dashboard tab lets go of its live stream and catches up when shown', async ({ page }) => {
  test.setTimeout(90_000);
  await signInAsAdmin(page);
  const auth = await apiAuth(page);
  const run = Date.now();
  const sender = await sandboxSender(page, auth, `hugo${run}@dashboard.sandbox.test`);
  const campaign = await campaignWithLeads(page, auth, {
    name: `Hidden tab ${run}`,
    senders: [sender],
    steps: [{ subject: 'Idea for <<company>>', body: 'Hi <<first_name>>, a quick idea.' }],
    leads: [{ email: `ann${run}@prospects.example` }],
  });
  await page.goto('/');
  await expect(page.getByTestId('live-status')).toHaveText('Live', { timeout: 30_000 });
  await page.evaluate(() => { (window as unknown as { sameDocument: boolean }).sameDocument = true; });
  const card = page.locator(`[data-testid="campaign-card"][data-campaign-id="${campaign.id}"]`);

  const isEvents = (request: { url(): string }) => new URL(request.url()).pathname === '/events';
  const closed = page.waitForEvent('requestfailed', { predicate: isEvents, timeout: 10_000 });
  await setVisibility(page, 'hidden');
  await closed;
  // While the tab is hidden the campaign starts and sends its message; the page hears nothing.
  await json(await page.request.post(`/api/v1/campaigns/${campaign.id}/start`, { headers: auth }));
  await expect
    .poll(async () => (await json(await page.request.get(`/api/v1/campaigns/${campaign.id}`, { headers: auth }))).stats.sent, { timeout: 15_000 })
    .toBe(1);
  await expect(card).toHaveCount(0);

  const reopened = page.waitForRequest(isEvents, { timeout: 10_000 });
  await setVisibility(page, 'visible');
  await reopened;
  await expect(card.getByRole('progressbar', { name: 'Overall' })).toHaveAttribute('aria-valuetext', '1 of 1 messages', { timeout: 10_000 });
  await expect(page.getByTestId('live-status')).toHaveText('Live');
  expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
});

/** Makes the page believe its tab was hidden or shown, as switching tabs does. */
async function setVisibility(page: Page, state: 'hidden' | 'visible') {
  await page.evaluate((state) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}
