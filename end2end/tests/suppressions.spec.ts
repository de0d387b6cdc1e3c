// The suppression list: add by hand, import a CSV, search, remove.
import { expect, test } from '@playwright/test';
import { signInAsAdmin } from './support';

test('an admin maintains the suppression list', async ({ page }) => {
  await signInAsAdmin(page);
  await page.getByRole('link', { name: 'Suppressions' }).first().click();
  await expect(page.getByRole('heading', { name: 'Suppression list' })).toBeVisible();

  const add = page.getByTestId('add-suppression-form');
  await add.getByLabel('Address or domain').fill('not valid');
  await add.getByRole('button', { name: 'Suppress' }).click();
  await expect(add.getByRole('alert')).toContainText('not a valid domain');
  await add.getByLabel('Address or domain').fill('competitor.io');
  await add.getByRole('button', { name: 'Suppress' }).click();
  await expect(page.getByTestId('suppression-table')).toContainText('@competitor.io');

  const importForm = page.getByTestId('import-suppressions-form');
  await importForm.getByLabel('CSV file').setInputFiles({
    name: 'unsubscribes.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('email,reason\njane@acme.test,unsubscribed\nbroken@,manual\n<script>alert(1)</script>@x.com,manual\n'),
  });
  await importForm.getByRole('button', { name: 'Import' }).click();
  const report = page.getByTestId('suppression-import-report');
  await expect(report).toContainText('1 added');
  await expect(report).toContainText('line 3');
  await expect(report).toContainText('<script>alert(1)</script>');
  await expect(page.getByTestId('suppression-table')).toContainText('jane@acme.test');

  await page.getByLabel('Search').fill('jane');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=jane/);
  await expect(page.getByTestId('suppression-table')).not.toContainText('competitor.io');
  await page.getByTestId('suppression-table').getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByText('0 entries')).toBeVisible();
  await page.screenshot({ path: 'test-results/screens/suppressions.png', fullPage: true });
});
