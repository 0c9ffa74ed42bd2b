// The keyboard in the demo workspace: `s` then `p` / `o` sets the status (never while typing),
// Ctrl+Shift+Enter in the reply box sends and opens the next ticket of the list, `g` then a key
// goes to a view, and the shortcuts dialog (`?`) takes the focus, keeps Tab inside, lists the new
// keys and gives the focus back when Esc closes it.
import type { APIRequestContext, Page } from '@playwright/test';

import { DEMO, RUN, demoAuth, expect, openDemoTicket, screenshotPath, serverUrl, signInToDemo, test } from './fixtures';

test.describe.configure({ mode: 'serial' });

interface Created {
  id: string;
  subject: string;
}
/// Created oldest first: in "Newest first" order the second is above the first.
const tickets: Created[] = [];
let tool: APIRequestContext;

test.beforeAll(async ({ playwright }) => {
  tool = await playwright.request.newContext({ baseURL: serverUrl() });
  const auth = await demoAuth(tool);
  for (const subject of [`Password reset mail missing ${RUN}`, `Cannot change my plan ${RUN}`]) {
    const requester = { requester_email: `kai.${RUN}@mail.example`, requester_name: 'Kai Berg' };
    const id = await openDemoTicket(tool, auth, { subject, body: 'Could you help?', ...requester });
    tickets.push({ id, subject });
  }
});

test.afterAll(async () => {
  await tool.dispose();
});

function patched(page: Page, id: string) {
  return page.waitForResponse(
    (response) => response.request().method() === 'PATCH' && response.url().endsWith(`/api/v1/tickets/${id}`),
  );
}

test('42. `s` then `p` or `o` sets the status; not while typing', async ({ page }) => {
  const [older] = tickets;
  await signInToDemo(page, DEMO.agent.email);
  await page.goto(`/inbox/${older.id}?view=all&sort=created`);
  await expect(page.getByTestId('ticket-subject')).toHaveText(older.subject);
  const status = page.getByTestId('status-select');

  // Typing in the reply box: the letters are text.
  const composer = page.getByTestId('composer');
  await composer.focus();
  await page.keyboard.type('sp go');
  await expect(composer).toHaveValue('sp go');
  await expect(page).toHaveURL(new RegExp(`/inbox/${older.id}`));
  await composer.fill('');
  await page.keyboard.press('Escape');
  await expect(composer).not.toBeFocused();

  // `s` says what comes next; `p` sets pending.
  let answer = patched(page, older.id);
  await page.keyboard.press('s');
  await expect(page.getByTestId('status-keys')).toContainText('pending');
  await page.keyboard.press('p');
  expect((await answer).request().postDataJSON()).toMatchObject({ status: 'pending' });
  await expect(status).toHaveValue('pending');
  await expect(page.getByTestId('status-keys')).toHaveCount(0);
  await expect(page.getByText('Status: pending')).toBeVisible();

  answer = patched(page, older.id);
  await page.keyboard.press('s');
  await page.keyboard.press('o');
  expect((await answer).request().postDataJSON()).toMatchObject({ status: 'open' });
  await expect(status).toHaveValue('open');
});

test('43. Ctrl+Shift+Enter sends the reply and opens the next ticket of the list', async ({ page }) => {
  const [older, newer] = tickets;
  await signInToDemo(page, DEMO.agent.email);
  // Newest first: the newer ticket's row comes right before the older one's.
  await page.goto(`/inbox/${newer.id}?view=all&sort=created`);
  await expect(page.getByTestId('ticket-subject')).toHaveText(newer.subject);
  const rows = page.getByTestId('ticket-row');
  await expect(rows.nth(0)).toContainText(newer.subject);
  await expect(rows.nth(1)).toContainText(older.subject);

  const reply = `The plan changes at the next invoice ${RUN}`;
  const composer = page.getByTestId('composer');
  await composer.fill(reply);
  const sent = page.waitForResponse(
    (response) => response.request().method() === 'POST' && response.url().endsWith(`/api/v1/tickets/${newer.id}/messages`),
  );
  await composer.press('Control+Shift+Enter');
  expect((await sent).status()).toBe(201);
  // The next ticket, in the same view.
  await expect(page).toHaveURL(new RegExp(`/inbox/${older.id}\\?view=all&sort=created$`));
  await expect(page.getByTestId('ticket-subject')).toHaveText(older.subject);

  // The reply went out with the first ticket.
  await page.goto(`/inbox/${newer.id}?view=all&sort=created`);
  await expect(page.getByTestId('thread').getByTestId('reply').filter({ hasText: reply })).toBeVisible();
});

test('44. `g` then a key goes to a view; the shortcuts dialog keeps the focus and gives it back', async ({ page }) => {
  await signInToDemo(page, DEMO.agent.email);
  await page.goto('/inbox?view=mine');
  await expect(page.getByTestId('ticket-list')).toBeVisible();

  await page.keyboard.press('g');
  await page.keyboard.press('o');
  await expect(page).toHaveURL(/\/inbox\?view=open$/);
  await expect(page.locator('.list-head h2')).toHaveText('All open');
  await page.keyboard.press('g');
  await page.keyboard.press('u');
  await expect(page).toHaveURL(/\/inbox\?view=unassigned$/);
  await page.keyboard.press('g');
  await page.keyboard.press('i');
  await expect(page).toHaveURL(/\/inbox\?view=mine$/);

  // The dialog: opened from a focused link, it takes the focus and lists the new keys.
  const newTicket = page.locator('.list-head').getByRole('link', { name: 'New ticket' });
  await newTicket.focus();
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  await expect(help).toBeFocused();
  for (const text of ['Status: pending', 'Send, then open the next ticket', 'All open', 'Properties']) {
    await expect(help).toContainText(text);
  }
  await page.screenshot({ path: screenshotPath('shortcuts') });
  // Tab and Shift+Tab never leave it.
  for (const key of ['Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Tab']) {
    await page.keyboard.press(key);
    expect(await help.evaluate((dialog) => dialog.contains(document.activeElement))).toBe(true);
  }
  await expect(help.getByRole('button', { name: 'Close' })).toBeFocused();
  // Keys of the page do nothing behind it.
  await page.keyboard.press('g');
  await page.keyboard.press('o');
  await expect(page).toHaveURL(/\/inbox\?view=mine$/);

  // Esc closes it, and the focus is back on the link.
  await page.keyboard.press('Escape');
  await expect(help).toHaveCount(0);
  await expect(newTicket).toBeFocused();
});
