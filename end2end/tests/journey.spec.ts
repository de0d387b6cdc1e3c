// The whole journey of a rep in sandbox mode, in one go and only through the pages: the guided
// set-up of a campaign (name → upload and map a CSV → steps with preview and lint → schedule
// → sender account → review → start), the dashboard following it live while an admin raises
// the account's cap in another tab, a sandbox recipient's reply moving their lead to Replied,
// another lead marked replied by hand, a lead's timeline (and back), and the charts. One lead
// is named `<script>alert(1)</script>`: every page must show that as text, and any dialog a
// page opens fails the test. Each page's screenshot is kept with the test's results. Uses a
// sandbox mailbox of its own (a new one each run), so the other specs' counts stay as they are.
import { expect, test, type Page } from '@playwright/test';
import { connectOnSendersPage, senderCard, signInAsAdmin } from './support';

const script = '<script>alert(1)</script>';

/** Collects the dialogs (alert, confirm, prompt) `page` opens, dismissing them. */
function watchDialogs(page: Page): string[] {
  const dialogs: string[] = [];
  page.on('dialog', async (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    await dialog.dismiss();
  });
  return dialogs;
}

/** Sets the daily cap of the sender account `email` on the Senders page. */
async function setDailyCap(page: Page, email: string, cap: number) {
  const card = await connectOnSendersPage(page, email);
  await card.getByText('Edit limits and From name').click();
  await card.getByLabel('Daily cap').fill(String(cap));
  await card.getByRole('button', { name: 'Save' }).click();
  await expect(senderCard(page, email).getByTestId('sender-cap')).toHaveText(`${cap} / 24 h`);
}

test('a campaign set up from a CSV runs, replies come in, and every page shows it', async ({ page, context }, testInfo) => {
  test.setTimeout(240_000);
  const dialogs = watchDialogs(page);
  const shot = async (name: string) => {
    expect(dialogs, 'a page opened a dialog').toEqual([]);
    await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  };
  const run = Date.now();
  const mailbox = `joy${run}@journey.sandbox.test`;
  const ann = `ann${run}@prospects.example`;
  // The sandbox answers addresses with "+reply" a few seconds after it receives a message.
  const ray = `ray${run}+reply@prospects.example`;
  const eve = `eve${run}@prospects.example`;
  const bo = `bo${run}@prospects.example`;
  await signInAsAdmin(page);

  // Name.
  await page.goto('/campaigns');
  await expect(page.locator('[data-testid="new-campaign-form"][data-hydrated="true"]')).toBeVisible({ timeout: 30_000 });
  const name = `Journey ${run}`;
  await page.getByLabel('Campaign name').fill(name);
  await page.getByRole('button', { name: 'Create campaign' }).click();
  await expect(page).toHaveURL(/\/campaigns\/[0-9a-f-]{36}$/);
  const campaignUrl = page.url();
  const campaignId = campaignUrl.split('/').pop()!;
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await expect(page.getByTestId('campaign-status')).toHaveText('draft');
  await expect(page.locator('nav[data-hydrated="true"]')).toBeVisible({ timeout: 30_000 });
  const guide = page.getByTestId('setup-guide');
  const next = page.getByTestId('setup-next');
  await expect(guide.locator('a[aria-current="step"]')).toContainText('Upload leads');
  // The stage to do is the page shown: no "Next" yet.
  await expect(next).toHaveCount(0);
  await shot('01-new-campaign');

  // Upload the CSV and map its columns: only the address is recognised by its name.
  const csv = ['Email,Greeting name,Shop', `${ann},Ann,Annco`, `${ray},Ray,Rayco`, `${eve},${script},Evil Co`, `${bo},Bo,Boco`, ''].join('\n');
  await page.getByLabel('Choose a CSV file').setInputFiles({ name: 'journey.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('chosen-file')).toContainText('journey.csv');
  await page.getByRole('button', { name: 'Check file' }).click();
  const mapping = page.getByTestId('mapping-table');
  await expect(mapping.getByLabel('Email', { exact: true })).toHaveValue('email');
  await expect(mapping.getByLabel('Greeting name')).toHaveValue('custom');
  await expect(mapping.getByLabel('Shop')).toHaveValue('custom');
  await mapping.getByLabel('Greeting name').selectOption('first_name');
  await mapping.getByLabel('Shop').selectOption('company');
  await expect(mapping).toContainText(script);
  await shot('02-csv-mapping');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByTestId('lead-import-report')).toContainText('4 imported');
  const leadTable = page.getByTestId('lead-table');
  await expect(leadTable).toContainText(script);
  await expect(leadTable).toContainText('Evil Co');
  await expect(guide.getByRole('link', { name: /Upload leads \(done\)/ })).toBeVisible();
  await shot('03-leads');

  // Write the steps, preview them for the leads, read the lint.
  await expect(next).toHaveText('Next: Write the emails');
  await next.click();
  await expect(page).toHaveURL(/tab=steps/);
  await page.getByLabel('Subject').fill('Idea for <<company>>');
  await page.getByLabel('Step 1 body').fill('Hi <<first_name>>,\n\na quick idea for <<company>>.');
  await page.getByRole('button', { name: 'Add follow-up' }).click();
  await page.getByLabel('Step 2 body').fill('Following up on my note, <<first_name>>.');
  await page.getByTestId('step').nth(1).getByLabel('Wait (days after the previous step)').fill('2');
  await page.getByRole('button', { name: 'Save steps' }).click();
  await expect(page.getByText('Steps saved.')).toBeVisible();
  const preview = page.getByTestId('preview');
  await expect(preview.getByTestId('preview-lead')).toContainText(ann);
  await expect(preview.getByTestId('preview-subject')).toHaveText('Idea for Annco');
  await expect(preview.getByTestId('preview-body')).toContainText('Hi Ann,');
  await preview.getByRole('button', { name: 'Next lead' }).click();
  await expect(preview.getByTestId('preview-lead')).toContainText(ray);
  await preview.getByRole('button', { name: 'Next lead' }).click();
  await expect(preview.getByTestId('preview-lead')).toContainText(eve);
  await expect(preview.getByTestId('preview-subject')).toHaveText('Idea for Evil Co');
  await expect(preview.getByTestId('preview-body')).toContainText(`Hi ${script},`);
  // No sender account is chosen yet: the lint says so.
  const lint = page.getByTestId('lint');
  await expect(lint).toContainText('choose at least one sender account');
  await shot('04-steps');

  // The schedule: every day, around the clock, no gaps (the app runs without pacing).
  await expect(next).toHaveText('Next: Set the schedule');
  await next.click();
  await expect(page).toHaveURL(/tab=schedule/);
  for (const day of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']) await page.getByLabel(day, { exact: true }).check();
  await page.getByLabel('Start hour (0–23)').fill('0');
  await page.getByLabel('End hour (1–24)').fill('24');
  await page.getByLabel('Minimum gap (seconds)').fill('0');
  await page.getByLabel('Maximum gap (seconds)').fill('0');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await expect(page.getByText('Schedule saved.')).toBeVisible();
  await shot('05-schedule');

  // The sender: a new sandbox mailbox, connected on the Senders page, capped at 2 a day so
  // the dashboard has something to show between the first sends and the rest.
  await setDailyCap(page, mailbox, 2);
  await expect(senderCard(page, mailbox).getByTestId('sender-status')).toHaveText('Active');
  await shot('06-senders');
  // Back in the draft, the schedule is as saved; the mailbox is chosen.
  await page.goto(`${campaignUrl}?tab=schedule`);
  await expect(page.locator('nav[data-hydrated="true"]')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByLabel('End hour (1–24)')).toHaveValue('24');
  const plan = page.getByTestId('schedule-summary');
  await expect(plan).toContainText('Choose at least one sender account');
  await page.getByLabel(mailbox).check();
  // The plan follows what the form holds, before it is saved.
  await expect(plan).toContainText('≈ 2 emails a day from 1 account');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await expect(page.getByText('Schedule saved.')).toBeVisible();

  // Review: everything in plain words, follow-ups with the subject they are sent with, and
  // no "Next" on the last stage.
  await expect(next).toHaveText('Next: Review & start');
  await next.click();
  await expect(page).toHaveURL(/tab=review/);
  const review = page.getByTestId('review');
  await expect(review).toContainText('4 leads, 4 not mailed yet.');
  await expect(review.getByRole('listitem').filter({ hasText: 'first email' })).toHaveText('Idea for <<company>> · first email');
  await expect(review.getByRole('listitem').filter({ hasText: 'days later' })).toHaveText('Re: Idea for <<company>> · 2 days later');
  await expect(review).toContainText(`${mailbox} · active · up to 2 a day`);
  await expect(review).toContainText('No errors.');
  await expect(page.getByTestId('review-summary')).toContainText('≈ 2 emails a day from 1 account');
  await expect(next).toHaveCount(0);
  await shot('07-review');

  // Start.
  await page.getByTestId('review-start').click();
  await expect(page.getByTestId('campaign-status')).toHaveText('running');
  await expect(guide).toHaveCount(0);

  // The dashboard: the first two go out (the cap), then the rest once an admin raises the
  // cap in another tab, and the sandbox's reply comes in; the page never reloads.
  await page.goto('/');
  await expect(page.getByTestId('live-status')).toHaveText('Live', { timeout: 30_000 });
  await page.evaluate(() => { (window as unknown as { sameDocument: boolean }).sameDocument = true; });
  const card = page.locator(`[data-testid="campaign-card"][data-campaign-id="${campaignId}"]`);
  const overall = card.getByRole('progressbar', { name: 'Overall' });
  await expect(overall).toHaveAttribute('aria-valuenow', '2', { timeout: 15_000 });
  await expect(card.getByRole('progressbar', { name: 'Today' })).toHaveAttribute('aria-valuetext', '2 of 2 today');
  await expect(card.getByTestId('leads-mailed')).toContainText('2 of 4 leads mailed · 2 steps');
  await shot('08-dashboard-capped');
  const adminTab = await context.newPage();
  const adminDialogs = watchDialogs(adminTab);
  await setDailyCap(adminTab, mailbox, 10);
  await adminTab.close();
  expect(adminDialogs, 'a page opened a dialog').toEqual([]);
  await expect(overall).toHaveAttribute('aria-valuenow', '4', { timeout: 15_000 });
  await expect(card.getByTestId('leads-mailed')).toContainText('4 of 4 leads mailed');
  await expect(card.getByTestId('replies').locator('dd')).toHaveText(/^1 · /, { timeout: 30_000 });
  expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
  await shot('09-dashboard-live');

  // The board: Ray's reply moved them to Replied; Bo is marked replied by hand.
  await card.getByRole('link', { name }).click();
  await expect(page).toHaveURL(campaignUrl);
  await expect(page.locator('nav[data-hydrated="true"]')).toBeVisible({ timeout: 30_000 });
  await page.getByTestId('lead-view-toggle').getByRole('link', { name: 'Board' }).click();
  await expect(page).toHaveURL(/view=board/);
  const inSequence = page.getByTestId('stage-in_sequence');
  const replied = page.getByTestId('stage-replied');
  await expect(replied.getByTestId('lead-card').filter({ hasText: ray })).toBeVisible();
  await expect(replied.getByTestId('stage-count')).toHaveText('1');
  await expect(inSequence.getByTestId('stage-count')).toHaveText('3');
  await expect(inSequence.getByTestId('lead-card').filter({ hasText: eve })).toContainText(`${script} · Evil Co`);
  await shot('10-board');
  await inSequence.getByTestId('lead-card').filter({ hasText: bo }).getByRole('button', { name: /Mark as replied/ }).click();
  await expect(replied.getByTestId('lead-card').filter({ hasText: bo })).toBeVisible();
  await expect(replied.getByTestId('stage-count')).toHaveText('2');
  await expect(inSequence.getByTestId('stage-count')).toHaveText('2');
  await expect(page.getByTestId('toast')).toContainText(`${bo} marked as replied`);
  await shot('11-board-marked');

  // Ray's timeline, with the reply; the back button returns to the board.
  await replied.getByRole('link', { name: ray }).click();
  await expect(page).toHaveURL(/\/campaigns\/[0-9a-f-]{36}\/leads\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { name: ray })).toBeVisible();
  await expect(page.getByTestId('lead-status')).toHaveText('replied');
  const timeline = page.getByTestId('lead-timeline');
  await expect(timeline.locator('[data-kind="sent"]')).toContainText('Step 1 sent: Idea for Rayco');
  await expect(timeline.locator('[data-kind="replied"]')).toContainText(`Reply from ${ray}`);
  await shot('12-timeline');
  await page.goBack();
  await expect(page).toHaveURL(/view=board/);
  await expect(replied.getByTestId('stage-count')).toHaveText('2');

  // Eve's timeline shows her name as text too.
  await inSequence.getByRole('link', { name: eve }).click();
  await expect(page.getByRole('heading', { name: eve })).toBeVisible();
  await expect(page.getByText(`${script} · Evil Co`)).toBeVisible();
  await expect(page.getByTestId('lead-timeline').locator('[data-kind="sent"]')).toContainText('Step 1 sent: Idea for Evil Co');
  await shot('13-timeline-script-name');
  await page.goBack();
  await expect(page).toHaveURL(/view=board/);

  // The charts: four messages sent today, from the journey's mailbox.
  await page.getByRole('link', { name: 'Charts' }).click();
  await expect(page).toHaveURL(/tab=charts/);
  const chart = page.getByTestId('chart-sent');
  await expect(chart).toHaveAttribute('aria-label', /Messages sent per day.*4 messages sent/);
  await expect(chart.locator('rect[data-series="Sent"]')).toHaveCount(1);
  await expect(page.getByTestId('sender-charts')).toContainText(mailbox);
  await shot('14-charts');
});
