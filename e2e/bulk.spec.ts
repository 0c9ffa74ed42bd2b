// Bulk actions in the demo workspace's inbox: the supervisor checks rows (a click, a shift+click for
// a range, Esc to clear), sets two new tickets to pending from the bar that takes the filters' place,
// in one request, and reads the result in a toast; then, with one of them closed, a change of
// priority goes ahead for the open one while the toast names the closed one with the server's reason,
// and only the refused row stays selected. The bar fits on one line on a 1024 px screen.
import type { APIRequestContext, Locator, Page } from '@playwright/test';

import { DEMO, RUN, expect, screenshotPath, serverUrl, signInToDemo, test } from './fixtures';

test.describe.configure({ mode: 'serial' });

/// A word only this run's tickets have, so the inbox's search shows them alone.
const marker = `bulk${RUN}`;
const subjects = [`Parcel lost ${marker}`, `Invoice twice ${marker}`, `Login loop ${marker}`];
const requester = { name: 'Bea Bulk', email: `bea.${RUN}@mail.example` };

interface Created {
  id: string;
  number: number;
  subject: string;
}
const tickets: Created[] = [];
let tool: APIRequestContext;
let auth: { Authorization: string };

test.beforeAll(async ({ playwright }) => {
  tool = await playwright.request.newContext({ baseURL: serverUrl() });
  const login = await tool.post('/api/v1/auth/login', {
    data: { workspace_slug: DEMO.workspace, email: DEMO.supervisor.email, password: DEMO.password },
  });
  expect(login.status()).toBe(200);
  auth = { Authorization: `Bearer ${(await login.json()).access_token}` };
  for (const subject of subjects) {
    const created = await tool.post('/api/v1/tickets', {
      headers: auth,
      data: { subject, body: 'Something went wrong with my order.', requester_email: requester.email, requester_name: requester.name },
    });
    expect(created.status()).toBe(201);
    const ticket = await created.json();
    tickets.push({ id: ticket.id, number: ticket.number, subject });
  }
});

test.afterAll(async () => {
  await tool.dispose();
});

/// The list item of a ticket: its checkbox and its link (the row).
function item(page: Page, ticket: Created): Locator {
  return page.getByTestId('ticket-list').getByRole('listitem').filter({ hasText: ticket.subject });
}

function bulkAnswer(page: Page) {
  return page.waitForResponse(
    (response) => response.request().method() === 'POST' && response.url().endsWith('/api/v1/tickets/bulk-update'),
  );
}

async function openTheRunsTickets(page: Page) {
  await signInToDemo(page, DEMO.supervisor.email);
  await page.goto(`/inbox?view=all&q=${marker}`);
  await expect(page.getByTestId('ticket-row')).toHaveCount(3);
}

test('20. the supervisor selects rows and sets two tickets pending from the bulk bar', async ({ page }) => {
  await openTheRunsTickets(page);
  const [parcel, invoice, login] = tickets;
  await expect(page.getByTestId('bulk-bar')).toHaveCount(0);

  // A click checks a row without opening it; shift+click checks every row up to the next one.
  const rows = page.getByTestId('ticket-row');
  const first = rows.nth(0);
  const last = rows.nth(2);
  await page.getByTestId('row-select').nth(0).click();
  await expect(page).toHaveURL(/\/inbox\?/);
  await expect(page.getByTestId('bulk-bar')).toBeVisible();
  await expect(page.getByTestId('bulk-count')).toHaveText('1 selected');
  await expect(page.getByRole('combobox', { name: 'Status', exact: true })).toBeHidden();
  await page.getByTestId('row-select').nth(2).click({ modifiers: ['Shift'] });
  await expect(page.getByTestId('bulk-count')).toHaveText('3 selected');
  await expect(page.getByTestId('select-all')).toBeChecked();
  await expect(first).toHaveClass(/checked/);
  await expect(last).toHaveClass(/checked/);

  // Esc clears the selection and the filters come back; select all, then uncheck one.
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('bulk-bar')).toHaveCount(0);
  await expect(page.getByRole('combobox', { name: 'Status', exact: true })).toBeVisible();
  await expect(page.getByTestId('row-select').nth(1)).not.toBeChecked();
  await page.getByTestId('select-all').click();
  await expect(page.getByTestId('bulk-count')).toHaveText('3 selected');
  await item(page, login).getByTestId('row-select').click();
  await expect(page.getByTestId('bulk-count')).toHaveText('2 selected');
  await expect(item(page, login).getByTestId('row-select')).not.toBeChecked();

  // The bar fits on one line on a smaller screen (the list is narrower below 1100 px).
  await page.setViewportSize({ width: 1024, height: 768 });
  const bar = page.getByTestId('bulk-bar');
  expect((await bar.boundingBox())!.height).toBeLessThanOrEqual(32);
  expect(await bar.evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true);
  await page.screenshot({ path: screenshotPath('bulk-bar') });
  await page.setViewportSize({ width: 1280, height: 800 });

  // One request for both; the toast counts them and the rows say pending.
  const answered = bulkAnswer(page);
  await page.getByTestId('bulk-status').selectOption('pending');
  const answer = await answered;
  expect(answer.status()).toBe(200);
  expect(answer.request().postDataJSON()).toEqual({
    ids: expect.arrayContaining([parcel.id, invoice.id]),
    patch: { status: 'pending' },
  });
  expect(answer.request().postDataJSON().ids).toHaveLength(2);
  await expect(page.getByText('2 tickets updated', { exact: true })).toBeVisible();
  for (const ticket of [parcel, invoice]) {
    await expect(item(page, ticket).locator('.pill')).toHaveText('pending');
  }
  await expect(item(page, login).locator('.pill')).toHaveText('new');
  // Nothing was refused, so nothing stays selected.
  await expect(page.getByTestId('bulk-bar')).toHaveCount(0);
  await expect(page.getByTestId('row-select').first()).not.toBeChecked();
});

test('21. a closed ticket is refused and named in the toast while the open one takes the priority', async ({ page }) => {
  const [parcel, , login] = tickets;
  // Closed through the API: solved, then closed.
  for (const status of ['solved', 'closed']) {
    const changed = await tool.patch(`/api/v1/tickets/${parcel.id}`, { headers: auth, data: { status } });
    expect(changed.status()).toBe(200);
  }

  await openTheRunsTickets(page);
  await expect(item(page, parcel).locator('.pill')).toHaveText('closed');
  await item(page, parcel).getByTestId('row-select').click();
  await item(page, login).getByTestId('row-select').click();
  await expect(page.getByTestId('bulk-count')).toHaveText('2 selected');

  const answered = bulkAnswer(page);
  await page.getByTestId('bulk-priority').selectOption('high');
  const answer = await answered;
  expect(answer.status()).toBe(200);
  const result = await answer.json();
  expect(result.updated.map((ticket: { id: string }) => ticket.id)).toEqual([login.id]);
  expect(result.failed).toHaveLength(1);
  expect(result.failed[0].id).toBe(parcel.id);
  const reason: string = result.failed[0].error.message;

  // The toast counts both and names the refused ticket by its number, with the server's words.
  const toast = page.getByText('1 updated, 1 not:');
  await expect(toast).toBeVisible();
  await expect(toast).toContainText(`#${parcel.number}: ${reason}`);
  await page.screenshot({ path: screenshotPath('bulk-refused') });

  await expect(item(page, login).locator('.priority')).toHaveText(/high/);
  await expect(item(page, parcel).locator('.priority')).toHaveCount(0);
  // Only the refused one stays selected, ready for another try.
  await expect(page.getByTestId('bulk-count')).toHaveText('1 selected');
  await expect(item(page, parcel).getByTestId('row-select')).toBeChecked();
  await expect(item(page, login).getByTestId('row-select')).not.toBeChecked();

  // x on the focused row selects it too (j focuses the first row), and Esc clears everything.
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('bulk-bar')).toHaveCount(0);
  await page.keyboard.press('j');
  await page.keyboard.press('x');
  await expect(page.getByTestId('bulk-count')).toHaveText('1 selected');
  await expect(page.getByTestId('row-select').first()).toBeChecked();
  await page.keyboard.press('x');
  await expect(page.getByTestId('bulk-bar')).toHaveCount(0);
});

test('22. tags and an assignee for two tickets at once; the shortcuts list x and Esc', async ({ page }) => {
  const [, invoice, login] = tickets;
  await openTheRunsTickets(page);
  await item(page, invoice).getByTestId('row-select').click();
  await item(page, login).getByTestId('row-select').click();
  await expect(page.getByTestId('bulk-count')).toHaveText('2 selected');

  // The tags typed replace the tickets' tags.
  await page.getByTestId('bulk-tags-open').click();
  await expect(page.getByTestId('bulk-tags')).toBeFocused();
  await page.getByTestId('bulk-tags').fill('vip, refund');
  await page.screenshot({ path: screenshotPath('bulk-tags') });
  const tagged = bulkAnswer(page);
  await page.getByTestId('bulk-tags-apply').click();
  const tagging = await tagged;
  expect(tagging.status()).toBe(200);
  expect(tagging.request().postDataJSON().patch).toEqual({ tags: ['vip', 'refund'] });
  expect((await tagging.json()).failed).toEqual([]);
  await expect(page.getByText('2 tickets updated', { exact: true })).toBeVisible();
  for (const ticket of [invoice, login]) {
    const detail = await (await tool.get(`/api/v1/tickets/${ticket.id}`, { headers: auth })).json();
    expect(detail.tags).toEqual(['vip', 'refund']);
  }

  // A supervisor assigns them to a teammate from the list of the team.
  await page.getByTestId('select-all').click();
  await item(page, tickets[0]).getByTestId('row-select').click();
  await expect(page.getByTestId('bulk-count')).toHaveText('2 selected');
  const assigned = bulkAnswer(page);
  await page.getByTestId('bulk-assignee').selectOption({ label: DEMO.agent.name });
  const assigning = await assigned;
  expect(assigning.status()).toBe(200);
  expect((await assigning.json()).updated).toHaveLength(2);
  for (const ticket of [invoice, login]) {
    await expect(item(page, ticket).getByLabel(DEMO.agent.name)).toBeVisible();
  }
  await expect(page.getByTestId('bulk-bar')).toHaveCount(0);

  // ? lists the new keys; Esc closes the list.
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toContainText('Select the ticket, or unselect it');
  await expect(help).toContainText('Clear the selection');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();
});
