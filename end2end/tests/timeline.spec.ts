// A sandbox recipient answers a campaign: the app's own worker sends, its sync reads the
// reply, and the reply shows on the lead's timeline and in the campaign's counts without
// anyone touching them. Works after the other specs and alone; named to run after
// senders.spec.ts, which expects Ada's mailbox to have sent nothing yet.
import { expect, test } from '@playwright/test';
import { apiToken, json, sandboxSender, signInAsAdmin } from './support';

const ada = 'ada@sandbox.outreach.test';

test('a sandbox reply shows on the lead timeline and in the campaign counts', async ({ page }) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page);
  const token = await apiToken(page);
  const auth = { Authorization: `Bearer ${token}` };

  const sender = await sandboxSender(page, auth, ada);

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
