// A rep's campaign journey: create a draft, import a messy CSV with a column mapping, write
// two steps with fallbacks and spintax, preview them for different leads, read the lint and
// save the schedule.
import { expect, test } from '@playwright/test';
import { signInAsAdmin } from './support';

const csv = [
  'Contact;Name;Org;Rolle',
  'ann@example.com;Ann;Acme;CTO',
  'bob@example.com;Bob;Bobco;',
  'ANN@example.com;Annie;Acme;CTO',
  'not-an-address;Zed;Zco;Intern',
  'cy@example.com;;Cyco;Founder',
  '',
].join('\n');

test('a campaign is created, filled with leads and steps, previewed and scheduled', async ({ page }) => {
  await signInAsAdmin(page);
  await page.goto('/campaigns');
  await expect(page.getByRole('heading', { name: 'Campaigns', exact: true })).toBeVisible();
  await expect(page.locator('[data-testid="new-campaign-form"][data-hydrated="true"]')).toBeVisible({ timeout: 30_000 });
  const name = `Agencies ${Date.now()}`;
  await page.getByLabel('Campaign name').fill(name);
  await page.getByRole('button', { name: 'Create campaign' }).click();
  await expect(page).toHaveURL(/\/campaigns\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await expect(page.getByTestId('campaign-status')).toHaveText('draft');
  await expect(page.locator('nav[data-hydrated="true"]')).toBeVisible({ timeout: 30_000 });

  // Leads: check the file, fix the mapping, import.
  await page.getByLabel('Choose a CSV file').setInputFiles({
    name: 'messy leads.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  await expect(page.getByTestId('chosen-file')).toContainText('messy leads.csv');
  await page.getByRole('button', { name: 'Check file' }).click();
  const mapping = page.getByTestId('mapping-table');
  await expect(mapping).toBeVisible();
  await expect(page.getByText('separated by semicolon')).toBeVisible();
  // No column is recognizably the address: the person picks it, and the names.
  await expect(mapping.getByLabel('Contact')).toHaveValue('custom');
  await expect(page.getByText('Choose which column holds the email address.')).toBeVisible();
  await mapping.getByLabel('Contact').selectOption('email');
  await expect(page.getByText('Choose which column holds the email address.')).toHaveCount(0);
  await mapping.getByLabel('Name').selectOption('first_name');
  await mapping.getByLabel('Org').selectOption('company');
  await expect(mapping.getByLabel('Rolle')).toHaveValue('custom');
  await expect(mapping).toContainText('not-an-address');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  const report = page.getByTestId('lead-import-report');
  await expect(report).toContainText('3 imported');
  await expect(report).toContainText('1 duplicates in the file');
  await expect(report).toContainText('1 invalid lines');
  await expect(page.getByTestId('invalid-lines')).toContainText('line 5');
  const leads = page.getByTestId('lead-table');
  await expect(leads).toContainText('bob@example.com');
  await expect(leads).toContainText('Bobco');
  await expect(leads).toContainText('Founder');
  await expect(page.getByTestId('campaign-stats')).toContainText('3');

  // Steps: two emails with fallbacks and spintax.
  await page.getByRole('link', { name: 'Steps' }).click();
  await expect(page).toHaveURL(/tab=steps/);
  await page.getByLabel('Subject').fill('{Hi|Hello} <<first_name|there>>');
  await page.getByLabel('Step 1 body').fill('Hi <<first_name|there>>,\n\nhow is <<company>> doing? {Cheers|Best}');
  await page.getByLabel('Step 1 body').fill('Hi <<first_name|there>>,\n\nhow is <<company>> doing? {Cheers|Best');
  await expect(page.getByTestId('step').first().getByRole('alert')).toContainText('is not closed');
  await page.getByLabel('Step 1 body').fill('Hi <<first_name|there>>,\n\nhow is <<company>> doing? {Cheers|Best}');
  await expect(page.getByTestId('step').first().getByRole('alert')).toHaveCount(0);
  await page.getByRole('button', { name: 'Add follow-up' }).click();
  await expect(page.getByText('Re: {Hi|Hello} <<first_name|there>>')).toBeVisible();
  await page.getByLabel('Step 2 body').fill('Following up on my note, ');
  await page.getByTestId('step').nth(1).getByRole('button', { name: '<<rolle>>' }).click();
  await expect(page.getByLabel('Step 2 body')).toHaveValue('Following up on my note, <<rolle>>');
  await page.getByRole('button', { name: 'Save steps' }).click();
  await expect(page.getByText('Steps saved.')).toBeVisible();

  // Preview: the server renders each lead.
  const preview = page.getByTestId('preview');
  await expect(preview.getByTestId('preview-lead')).toContainText('ann@example.com');
  await expect(preview.getByTestId('preview-body')).toContainText('Hi Ann,');
  await expect(preview.getByTestId('preview-subject')).toHaveText(/^(Hi|Hello) Ann$/);
  await preview.getByRole('button', { name: 'Next lead' }).click();
  await expect(preview.getByTestId('preview-lead')).toContainText('bob@example.com');
  await expect(preview.getByTestId('preview-body')).toContainText('Hi Bob,');
  await expect(preview.getByTestId('preview-body')).toContainText('how is Bobco doing?');
  await preview.getByRole('button', { name: 'Next lead' }).click();
  await expect(preview.getByTestId('preview-body')).toContainText('Hi there,');

  // Lint: no sender yet, and Bob has no role for step 2.
  const lint = page.getByTestId('lint');
  await expect(lint).toContainText('choose at least one sender account');
  const bob = lint.getByRole('listitem').filter({ hasText: 'bob@example.com' });
  await expect(bob.first()).toBeVisible();
  await bob.first().getByRole('button', { name: 'Remove lead' }).click();
  await expect(lint.getByRole('listitem').filter({ hasText: 'bob@example.com' })).toHaveCount(0);

  // Start is refused while the lint finds errors.
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(page.getByTestId('start-refused')).toContainText('sender account');

  // Schedule.
  await page.getByRole('link', { name: 'Schedule & senders' }).click();
  await expect(page).toHaveURL(/tab=schedule/);
  await page.getByLabel('Time zone').fill('Europe/Berlin');
  await page.getByLabel('Sat').check();
  await page.getByLabel('Start hour (0–23)').fill('8');
  await page.getByLabel('Pause when the bounce rate passes (%)').fill('3');
  await page.getByLabel('End hour (1–24)').fill('5');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await expect(page.getByTestId('schedule-form').getByRole('alert')).toContainText('after the start hour');
  await page.getByLabel('End hour (1–24)').fill('18');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await expect(page.getByText('Schedule saved.')).toBeVisible();

  // The back button returns to the steps tab; a reload keeps what was saved.
  await page.goBack();
  await expect(page).toHaveURL(/tab=steps/);
  await page.goto(page.url().replace('tab=steps', 'tab=schedule'));
  await expect(page.getByLabel('Time zone')).toHaveValue('Europe/Berlin');
  await expect(page.getByLabel('Pause when the bounce rate passes (%)')).toHaveValue('3');
  await page.screenshot({ path: 'test-results/screens/campaign.png', fullPage: true });
});
