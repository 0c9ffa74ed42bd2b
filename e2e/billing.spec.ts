// A company pays for Pro, as an owner would: a new workspace is on Free and is told what Pro adds
// where it meets it (AI settings, Suggest reply), the owner upgrades through Stripe's Checkout page
// (the loopback Stripe of global-setup.ts), comes back, and Pro turns on once Stripe's signed
// webhook has landed; then cancels in the Billing Portal and is back on Free, with nobody removed.
import type { BrowserContext, Page } from '@playwright/test';

import { BrowserProblems, PASSWORD, RUN, expect, person, screenshotPath, test } from './fixtures';

const company = `Paying ${RUN}`;
const owner = { name: 'Penny Payer', email: `penny.${RUN}@paying.example` };

test.describe.configure({ mode: 'serial' });

const problems = new BrowserProblems();
let context: BrowserContext;
let page: Page;

test.beforeAll(async ({ browser }) => {
  ({ context, page } = await person(browser, problems, 'owner'));
});

test.afterEach(() => {
  problems.expectNone();
});

test.afterAll(async () => {
  await context.close();
});

/// The plan the page shows, after reloading until it is `expected` (the webhook's job runs within
/// moments of Stripe's event; the page asks once per load).
async function expectPlan(expected: string): Promise<void> {
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('plan-name')).toHaveText(expected, { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
}

test('1. a new workspace is on Free and sees what Pro adds where it meets it', async () => {
  await page.goto('/signup');
  await page.getByLabel('Company').fill(company);
  await page.getByLabel('Your name').fill(owner.name);
  await page.getByLabel('Work email').fill(owner.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  // An owner watches the whole queue: All open.
  await expect(page).toHaveURL(/\/inbox\?view=open$/);

  const rail = page.getByRole('complementary', { name: 'Navigation' });
  await rail.getByRole('link', { name: 'AI settings' }).click();
  await expect(page.getByTestId('upgrade-prompt')).toContainText('come with the Pro plan');

  await page.getByTestId('upgrade-prompt').getByRole('link', { name: 'See plans' }).click();
  await expect(page).toHaveURL(/\/billing$/);
  await expect(page.getByRole('heading', { name: 'Plan & billing' })).toBeVisible();
  await expect(page.getByTestId('plan-name')).toHaveText('Free plan');
  await expect(page.getByTestId('plan-seats')).toHaveText('1 of 2 staff seats used (customers take none)');
  await expect(page.getByTestId('plan-ai')).toContainText('No AI');
  await expect(page.getByRole('button', { name: 'Upgrade to Pro' })).toBeVisible();
  await page.screenshot({ path: screenshotPath('billing-free') });
});

test('2. the owner upgrades on Stripe Checkout and Pro turns on when Stripe confirms', async () => {
  await page.getByRole('button', { name: 'Upgrade to Pro' }).click();
  // Stripe's hosted page (the loopback double), for this workspace's customer.
  await expect(page.getByRole('heading', { name: 'Subscribe to Ferrodesk Pro' })).toBeVisible();
  await expect(page.getByText(owner.email)).toBeVisible();
  await page.screenshot({ path: screenshotPath('billing-checkout') });
  await page.getByRole('button', { name: 'Subscribe' }).click();

  // Back in the app; the page waits for the webhook's job and then says Pro is on.
  await expect(page).toHaveURL(/\/billing\?checkout=success$/);
  await expect(page.getByTestId('plan-name')).toHaveText('Pro plan');
  await expect(page.getByTestId('checkout-notice')).toContainText('Your workspace is on Pro');
  await expect(page.getByTestId('billing-status')).toContainText('Paid. Renews on');
  await expect(page.getByTestId('plan-seats')).toHaveText('1 of 25 staff seats used (customers take none)');
  await expect(page.getByRole('button', { name: 'Manage billing' })).toBeVisible();
  await page.screenshot({ path: screenshotPath('billing-pro') });

  // AI is unlocked: the prompt is gone from AI settings.
  await page.getByRole('complementary', { name: 'Navigation' }).getByRole('link', { name: 'AI settings' }).click();
  await expect(page.getByTestId('ai-settings')).toBeVisible();
  await expect(page.getByTestId('upgrade-prompt')).toHaveCount(0);
});

test('3. the owner cancels in the Billing Portal and the workspace is back on Free', async () => {
  await page.goto('/billing');
  await page.getByRole('button', { name: 'Manage billing' }).click();
  await expect(page.getByRole('heading', { name: 'Ferrodesk billing' })).toBeVisible();
  await page.getByRole('button', { name: 'Cancel plan' }).click();
  await expect(page).toHaveURL(/\/billing$/);
  await expectPlan('Free plan');
  await expect(page.getByTestId('billing-status')).toHaveText('The subscription was cancelled.');
  await expect(page.getByRole('button', { name: 'Upgrade to Pro' })).toBeVisible();
});
