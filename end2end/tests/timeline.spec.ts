// A sandbox recipient answers a campaign: the app's own worker sends, its sync reads the
// reply, and the reply shows on the lead's timeline and in the campaign's counts without
// anyone touching them. Works after the other specs and alone; named to run after
// senders.spec.ts, which expects Ada's mailbox to have sent nothing yet.
import { expect, test, type APIResponse, type Page } from '@playwright/test';
import { signInAsAdmin } from './support';

const ada = 'ada@sandbox.outreach.test';

/** A new API token, made on the settings page. */
async function apiToken(page: Page): Promise<string> {
  await page.goto('/settings', { waitUntil: 'networkidle' });
  const token = page.getByTestId('new-api-token');
  // The token is shown by the hydrated page; a click before hydration posts the plain form
  // (which creates a token nobody sees), so try again until the page shows one.
  await expect(async () => {
    await page.getByLabel('New token name').fill(`replies ${Date.now()}`);
    await page.getByRole('button', { name: 'Create token' }).click();
    await expect(token).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 45_000 });
  return (await token.innerText()).trim();
}

async function json(response: APIResponse) {
  expect(response.ok(), `${response.status()} ${await response.text()}`).toBeTruthy();
  return response.json();
}

test('a sandbox reply shows on the lead timeline and in the campaign counts', async ({ page }) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page);
  const token = await apiToken(page);
  const auth = { Authorization: `Bearer ${token}` };

  // The sandbox mailbox Ada, connected through the (simulated) consent page if needed.
  let senders = await json(await page.request.get('/api/v1/senders', { headers: auth }));
  if (!senders.some((s: { email: string }) => s.email === ada)) {
    const { authorization_url } = await json(
      await page.request.post('/api/v1/senders/connect', { headers: auth }),
    );
    await page.goto(authorization_url);
    await page.getByLabel(ada).check();
    await page.getByRole('button', { name: 'Allow' }).click();
    // Started through the API, the consent ends on a page of its own.
    await expect(page.getByRole('heading', { name: 'Gmail account connected' })).toBeVisible();
    senders = await json(await page.request.get('/api/v1/senders', { headers: auth }));
  }
  const sender = senders.find((s: { email: string }) => s.email === ada);

  const lead = `rita${Date.now()}+reply@prospect.example`;
  const campaign = await json(await page.request.post('/api/v1/campaigns', {
    headers: auth,
    data: {
      name: `Replies ${Date.now()}`,
      sender_ids: [sender.id],
      steps: [
        { subject: 'Idea for <<company>>', body: 'Hi <<first_name>>, a quick idea.' },
        { body: 'Following up.', delay_days: 2 },
      ],
      schedule: { timezone: 'UTC', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
        start_hour: 0, end_hour: 24, min_gap_seconds: 0, max_gap_seconds: 0 },
    },
  }));
  await json(await page.request.post(`/api/v1/campaigns/${campaign.id}/leads`, {
    headers: { ...auth, 'content-type': 'text/csv' },
    data: `email,first_name,company\n${lead},Rita,Prospect Co\n`,
  }));
  await json(await page.request.post(`/api/v1/campaigns/${campaign.id}/start`, { headers: auth }));

  // The worker sends, the recipient answers a few seconds later, the sync reads it.
  await expect.poll(async () => {
    const now = await json(await page.request.get(`/api/v1/campaigns/${campaign.id}`, { headers: auth }));
    return now.stats.replied;
  }, { timeout: 90_000, intervals: [1_000] }).toBe(1);

  await page.goto(`/campaigns/${campaign.id}`);
  const replied = page.getByTestId('campaign-stats').locator('div').filter({ hasText: /^Replied/ });
  await expect(replied.locator('dd')).toHaveText('1');
  const leads = page.getByTestId('lead-table');
  await expect(leads).toContainText('replied');
  await leads.getByRole('link', { name: lead }).click();
  await expect(page).toHaveURL(/\/campaigns\/[0-9a-f-]{36}\/leads\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { name: lead })).toBeVisible();
  await expect(page.getByTestId('lead-status')).toHaveText('replied');
  const timeline = page.getByTestId('lead-timeline');
  await expect(timeline.locator('[data-kind="sent"]')).toContainText('Step 1 sent: Idea for Prospect Co');
  await expect(timeline.locator('[data-kind="replied"]')).toContainText(`Reply from ${lead}`);
  await timeline.locator('[data-kind="replied"]').getByText('Raw headers (evidence)').click();
  await expect(timeline.locator('[data-kind="replied"] pre')).toContainText('In-Reply-To:');
  await page.screenshot({ path: 'test-results/screens/lead-timeline.png', fullPage: true });
});
