// The ticket page's properties in the demo workspace: a 260-280 px column on a 1280 px screen with
// the tags as chips and the SLA targets' due times; on a 1024 px screen a "Properties" drawer from
// the header (or `p`) that takes the focus, changes the status, and closes with Esc or ×, giving the
// focus back.
import type { APIRequestContext } from '@playwright/test';

import { DEMO, RUN, demoAuth, expect, openDemoTicket, screenshotPath, serverUrl, signInToDemo, test } from './fixtures';

test.describe.configure({ mode: 'serial' });

const subject = `Refund for a double charge ${RUN}`;
let ticketId = '';
let tool: APIRequestContext;

test.beforeAll(async ({ playwright }) => {
  tool = await playwright.request.newContext({ baseURL: serverUrl() });
  ticketId = await openDemoTicket(tool, await demoAuth(tool), {
    subject,
    body: 'I was charged twice for order 5521.',
    requester_email: `lena.${RUN}@mail.example`,
    requester_name: 'Lena Vogt',
  });
});

test.afterAll(async () => {
  await tool.dispose();
});

test('40. at 1280 px the properties are a 260-280 px column with tag chips and the SLA due times', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signInToDemo(page, DEMO.agent.email);
  await page.goto(`/inbox/${ticketId}?view=all`);
  await expect(page.getByTestId('ticket-subject')).toHaveText(subject);

  const column = page.locator('#ticket-properties');
  await expect(column).toBeVisible();
  const box = (await column.boundingBox())!;
  expect(box.width).toBeGreaterThanOrEqual(260);
  expect(box.width).toBeLessThanOrEqual(280);
  // Everything in it is on screen, and the drawer's button is not needed.
  await expect(page.locator('#prop-status')).toBeInViewport();
  await expect(page.getByTestId('properties-open')).toBeHidden();

  // The SLA targets: the due time in local time and how much is left, coloured by the share left
  // (a new normal ticket has nearly all of its 8 hours).
  const first = page.getByTestId('sla-first-response');
  await expect(first).toContainText('First response');
  await expect(first.getByTestId('sla-state')).toHaveText(/due in \d+ h/);
  await expect(first.getByTestId('sla-state')).toHaveClass(/\bok\b/);
  await expect(first.locator('time')).toHaveText(/\d{1,2}:\d{2}$/);
  await expect(page.getByTestId('sla-resolution').getByTestId('sla-state')).toHaveText(/due in \d+ (h|days?)/);
  // The list row's badge is coloured the same way.
  const row = page.getByTestId('ticket-row').filter({ hasText: subject });
  await expect(row.getByTestId('sla-badge')).toHaveClass(/\bok\b/);

  // Tags: typed and Enter adds a chip, × removes it; each is one PATCH with the whole list.
  const tags = page.locator('#prop-tags');
  const added = page.waitForResponse(
    (response) => response.request().method() === 'PATCH' && response.url().endsWith(`/api/v1/tickets/${ticketId}`),
  );
  await tags.fill('refund');
  await tags.press('Enter');
  expect((await added).request().postDataJSON()).toMatchObject({ tags: ['refund'] });
  const chip = page.getByTestId('tag-chip');
  await expect(chip).toHaveText(/refund/);
  await expect(tags).toHaveValue('');
  // A comma ends a tag too.
  await tags.pressSequentially('vip,');
  await expect(chip).toHaveCount(2);
  await expect(chip.nth(1)).toContainText('vip');
  const removed = page.waitForResponse(
    (response) => response.request().method() === 'PATCH' && response.url().endsWith(`/api/v1/tickets/${ticketId}`),
  );
  await page.getByRole('button', { name: 'Remove the tag refund' }).click();
  expect((await removed).request().postDataJSON()).toMatchObject({ tags: ['vip'] });
  await expect(chip).toHaveCount(1);
  await expect(chip).toContainText('vip');
  await page.screenshot({ path: screenshotPath('ticket-properties-wide') });
});

test('41. at 1024 px the properties open in a drawer that takes the focus and changes the status', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 768 });
  await signInToDemo(page, DEMO.agent.email);
  await page.goto(`/inbox/${ticketId}?view=all`);
  await expect(page.getByTestId('ticket-subject')).toHaveText(subject);

  // Nothing below the reply box: the controls wait in the drawer.
  await expect(page.locator('#prop-status')).toBeHidden();
  const open = page.getByTestId('properties-open');
  await expect(open).toBeInViewport();
  await open.click();
  const drawer = page.getByRole('dialog', { name: 'Ticket properties' });
  await expect(drawer).toBeVisible();
  await expect(page.locator('#prop-status')).toBeFocused();
  await expect(page.locator('#prop-status')).toBeInViewport();
  await expect(drawer.getByTestId('sla-first-response')).toBeVisible();
  await page.screenshot({ path: screenshotPath('ticket-properties-drawer') });

  const changed = page.waitForResponse(
    (response) => response.request().method() === 'PATCH' && response.url().endsWith(`/api/v1/tickets/${ticketId}`),
  );
  await page.locator('#prop-status').selectOption('pending');
  const answer = await changed;
  expect(answer.status()).toBe(200);
  expect(answer.request().postDataJSON()).toMatchObject({ status: 'pending' });
  await expect(page.locator('.ticket-head .pill')).toHaveText('pending');

  // Tab stays inside the drawer.
  for (let i = 0; i < 25; i += 1) {
    await page.keyboard.press('Tab');
    expect(await drawer.evaluate((element) => element.contains(document.activeElement))).toBe(true);
  }

  // Esc closes it and the focus goes back to the button.
  await page.keyboard.press('Escape');
  await expect(drawer).toHaveCount(0);
  await expect(page.locator('#prop-status')).toBeHidden();
  await expect(open).toBeFocused();

  // `p` opens it too; × closes it.
  await page.keyboard.press('p');
  await expect(drawer).toBeVisible();
  await expect(page.locator('#prop-status')).toBeFocused();
  await drawer.getByRole('button', { name: 'Close properties' }).click();
  await expect(drawer).toHaveCount(0);

  // Back to open for whoever reads the demo next.
  await open.click();
  await page.locator('#prop-status').selectOption('open');
  await expect(page.locator('.ticket-head .pill')).toHaveText('open');
  await page.keyboard.press('Escape');
  await expect(drawer).toHaveCount(0);
});
