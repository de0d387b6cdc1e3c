// An admin connects sandbox Gmail mailboxes through the (simulated) Google consent page and
// sees them on the Senders page with their status and limits. Works after foundation.spec.ts
// and alone (it sets the team up when nobody has).
import { expect, test, type Page } from '@playwright/test';
import { senderCard, signInAsAdmin } from './support';

const ada = 'ada@sandbox.outreach.test';
const newMailbox = 'bob@newco.sandbox.test';
const modify = 'https://www.googleapis.com/auth/gmail.modify';

test.describe.configure({ mode: 'serial' });

async function openSenders(page: Page) {
  await signInAsAdmin(page);
  await page.goto('/senders');
  await expect(page.getByRole('heading', { name: 'Sender accounts', exact: true })).toBeVisible();
}

test('an admin connects two sandbox mailboxes and sees their status and limits', async ({ page }) => {
  await openSenders(page);

  // The first one: an existing sandbox mailbox, every permission.
  await page.getByRole('button', { name: 'Connect Gmail' }).click();
  await expect(page.getByRole('heading', { name: 'Choose an account' })).toBeVisible();
  await expect(page.getByText('Sandbox: no real Google account is used')).toBeVisible();
  await page.getByLabel(ada).check();
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect(page).toHaveURL(/\/senders\?connected=/);
  await expect(page.getByTestId('connected-banner')).toContainText(ada);
  const first = senderCard(page, ada);
  await expect(first.getByTestId('sender-status')).toHaveText('Active');
  await expect(first.getByTestId('sender-cap')).toHaveText('450 / 24 h');
  await expect(first.getByTestId('sender-sent')).toHaveText('0 of 450');
  await expect(first.getByTestId('sender-quota')).toHaveText('0');
  await expect(first).toContainText('Gmail');
  await expect(first).toContainText("default: 90% of Gmail's 500");
  await expect(first).toContainText('Reply tracking on');

  // The second one: a new Workspace mailbox, created on the consent page, without the
  // permission to read mail (so tracking is off and the page says so).
  await page.getByRole('button', { name: 'Connect Gmail' }).click();
  await expect(page.getByRole('heading', { name: 'Choose an account' })).toBeVisible();
  await page.getByLabel('A new mailbox:').check();
  await page.locator('input[name="new_address"]').fill(newMailbox);
  await page.locator('select[name="new_kind"]').selectOption('workspace');
  await page.getByLabel(modify).uncheck();
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect(page.getByTestId('connected-banner')).toContainText(newMailbox);
  const second = senderCard(page, newMailbox);
  await expect(second.getByTestId('sender-status')).toHaveText('Active');
  await expect(second.getByTestId('sender-cap')).toHaveText('1,800 / 24 h');
  await expect(second).toContainText('Google Workspace');
  await expect(second).toContainText('Reply tracking off');
  await expect(second.getByTestId('tracking-off')).toContainText('Reply tracking and labels are off');
  // One card each (dashboard.spec.ts may have connected a mailbox of its own before).
  await expect(first).toHaveCount(1);
  await expect(second).toHaveCount(1);
  await page.screenshot({ path: 'test-results/screens/senders.png', fullPage: true });

  // Both show up in the sandbox's mail view as connected mailboxes.
  await page.getByRole('link', { name: 'Sandbox mail' }).first().click();
  await expect(page.getByRole('heading', { name: 'Sandbox mail', exact: true })).toBeVisible();
  const mailboxes = page.getByTestId('sandbox-mailboxes');
  await expect(mailboxes.getByRole('link', { name: ada })).toBeVisible();
  await expect(mailboxes.getByRole('link', { name: newMailbox })).toBeVisible();
  await expect(page.getByTestId('recipient-patterns')).toContainText('+softbounce');
  await page.screenshot({ path: 'test-results/screens/sandbox.png', fullPage: true });
});

test('an admin lowers a daily cap and the page shows it', async ({ page }) => {
  await openSenders(page);
  const first = senderCard(page, ada);
  await first.getByText('Edit limits and From name').click();
  await first.getByLabel('Daily cap').fill('600');
  await first.getByRole('button', { name: 'Save' }).click();
  await expect(first.getByRole('alert')).toContainText('between 1 and 500');
  await first.getByLabel('Daily cap').fill('200');
  await first.getByRole('button', { name: 'Save' }).click();
  await expect(first.getByTestId('sender-cap')).toHaveText('200 / 24 h');
  await expect(first).toContainText("set by an admin; Gmail allows 500");
});
