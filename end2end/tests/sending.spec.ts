// The outbox at work in sandbox mode: a three-step campaign over two sandbox mailboxes is
// started, its first two steps move through the Outbox to `sent`, the follow-ups land in the
// same sandbox threads, and the campaign is paused, resumed and cancelled. The app runs with
// OUTREACH_PACING=off (see playwright.config.ts), so nothing waits for gaps.
import { expect, test } from '@playwright/test';
import { connectOnSendersPage, signInAsAdmin } from './support';

const mailboxes = ['ada@sandbox.outreach.test', 'grace@workspace.sandbox.outreach.test'];
const leads = ['sam@prospects.example', 'kim@prospects.example', 'lee@prospects.example'];

test('a three-step campaign sends its first two steps through the outbox, follow-ups in thread; pause, resume, cancel', async ({ page }) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page);
  for (const mailbox of mailboxes) await connectOnSendersPage(page, mailbox);

  await page.goto('/campaigns');
  await expect(page.locator('[data-testid="new-campaign-form"][data-hydrated="true"]')).toBeVisible({ timeout: 30_000 });
  const name = `Sandbox sending ${Date.now()}`;
  await page.getByLabel('Campaign name').fill(name);
  await page.getByRole('button', { name: 'Create campaign' }).click();
  await expect(page).toHaveURL(/\/campaigns\/[0-9a-f-]{36}$/);
  await expect(page.locator('nav[data-hydrated="true"]')).toBeVisible({ timeout: 30_000 });

  const csv = ['email,first_name,company', ...leads.map((l, i) => `${l},Lead${i},Company${i}`), ''].join('\n');
  await page.getByLabel('Choose a CSV file').setInputFiles({ name: 'leads.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Check file' }).click();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByTestId('lead-import-report')).toContainText('3 imported');

  await page.getByRole('link', { name: 'Steps' }).click();
  await page.getByLabel('Subject').fill('Idea for <<company>>');
  await page.getByLabel('Step 1 body').fill('Hi <<first_name>>, a quick idea for <<company>>.');
  await page.getByRole('button', { name: 'Add follow-up' }).click();
  await page.getByLabel('Step 2 body').fill('Hi <<first_name>>, following up on my note.');
  await page.getByTestId('step').nth(1).getByLabel('Wait (days after the previous step)').fill('0');
  // A last step a month later keeps the campaign running (with nothing left to send it would
  // complete by itself), so it can be paused, resumed and cancelled below.
  await page.getByRole('button', { name: 'Add follow-up' }).click();
  await page.getByLabel('Step 3 body').fill('Hi <<first_name>>, one last note.');
  await page.getByTestId('step').nth(2).getByLabel('Wait (days after the previous step)').fill('30');
  await page.getByRole('button', { name: 'Save steps' }).click();
  await expect(page.getByText('Steps saved.')).toBeVisible();

  await page.getByRole('link', { name: 'Schedule & senders' }).click();
  for (const day of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']) await page.getByLabel(day, { exact: true }).check();
  await page.getByLabel('Start hour (0–23)').fill('0');
  await page.getByLabel('End hour (1–24)').fill('24');
  await page.getByLabel('Minimum gap (seconds)').fill('0');
  await page.getByLabel('Maximum gap (seconds)').fill('0');
  for (const mailbox of mailboxes) await page.getByLabel(mailbox).check();
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await expect(page.getByText('Schedule saved.')).toBeVisible();

  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(page.getByTestId('campaign-status')).toHaveText('running');
  const campaignUrl = page.url();

  // The outbox fills and empties: three first emails and three follow-ups end up sent.
  const campaignId = campaignUrl.match(/campaigns\/([0-9a-f-]{36})/)![1];
  await expect(async () => {
    await page.goto(`/outbox?campaign_id=${campaignId}&status=sent`);
    await expect(page.getByTestId('outbox-table').locator('tbody tr')).toHaveCount(6, { timeout: 1_000 });
  }).toPass({ timeout: 60_000 });
  for (const lead of leads) await expect(page.getByTestId('outbox-table')).toContainText(lead);

  // In the sandbox, each lead's follow-up sits in the same thread as its first email.
  let threads = 0;
  for (const mailbox of mailboxes) {
    await page.goto(`/sandbox/mailboxes/${mailbox}`);
    const own = page.getByTestId('thread').filter({ hasText: 'Re: Idea for Company' });
    threads += await own.count();
    for (const thread of await own.all()) {
      await expect(thread.getByTestId('thread-size')).toHaveText('2 messages in this thread');
      await expect(thread.getByTestId('mailbox-messages').locator('li').first()).toContainText(/^Idea for Company\d/);
    }
  }
  expect(threads, 'three leads, one thread each, over both mailboxes').toBe(3);

  // Pause, resume, cancel: the last steps, due in a month, are cancelled.
  await page.goto(campaignUrl);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('campaign-status')).toHaveText('paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('campaign-status')).toHaveText('running');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('campaign-status')).toHaveText('cancelled');
  await page.goto(`/outbox?campaign_id=${campaignId}&status=cancelled`);
  await expect(page.getByTestId('outbox-table').locator('tbody tr')).toHaveCount(3);
  await page.screenshot({ path: 'test-results/screens/sending.png', fullPage: true });
});
