// Notifications of a new company's owner: 28 of them (an agent opened 28 tickets), 25 read and the
// latest 3 not. The bell lists the latest 10, unread first and marked apart from the read ones,
// with relative times whose tooltip is the exact time; opening one marks it read. "See all" opens
// the notifications page, which pages through all 28, unread first, and marks one or all read,
// the bell following.
import type { APIRequestContext, BrowserContext, Page } from '@playwright/test';

import { BrowserProblems, PASSWORD, RUN, expect, person, screenshotPath, serverUrl, test } from './fixtures';

test.describe.configure({ mode: 'serial' });

const slug = `notes-${RUN}`;
const owner = { name: 'Nora Owner', email: `nora.${RUN}@notes.example` };
const agent = { name: 'Abel Agent', email: `abel.${RUN}@notes.example` };
const requester = { name: 'Rita Requester', email: `rita.${RUN}@mail.example` };
const READ = 25;
const UNREAD = 3;

const problems = new BrowserProblems();
let tool: APIRequestContext;
let context: BrowserContext;
let page: Page;

async function openTickets(auth: { Authorization: string }, from: number, count: number): Promise<void> {
  for (let n = from; n < from + count; n++) {
    const created = await tool.post('/api/v1/tickets', {
      headers: auth,
      data: { subject: `Order question ${n} ${RUN}`, body: `About order ${n}.`, requester_email: requester.email, requester_name: requester.name },
    });
    expect(created.status()).toBe(201);
  }
}

test.beforeAll(async ({ playwright, browser }) => {
  tool = await playwright.request.newContext({ baseURL: serverUrl() });
  const signup = await tool.post('/api/v1/signup', {
    data: { workspace_name: `Notes ${RUN}`, workspace_slug: slug, name: owner.name, email: owner.email, password: PASSWORD },
  });
  expect(signup.status()).toBe(201);
  const ownerAuth = { Authorization: `Bearer ${(await signup.json()).access_token}` };
  const invited = await tool.post('/api/v1/invitations', { headers: ownerAuth, data: { email: agent.email, role: 'agent' } });
  expect(invited.status()).toBe(201);
  const accepted = await tool.post('/api/v1/invitations/accept', {
    data: { token: (await invited.json()).token, name: agent.name, password: PASSWORD },
  });
  expect(accepted.status()).toBe(201);
  const agentAuth = { Authorization: `Bearer ${(await accepted.json()).access_token}` };

  // Each new ticket notifies the staff who did not open it: the owner.
  await openTickets(agentAuth, 1, READ);
  expect((await tool.post('/api/v1/notifications/read-all', { headers: ownerAuth })).ok()).toBe(true);
  await openTickets(agentAuth, READ + 1, UNREAD);

  ({ context, page } = await person(browser, problems, 'owner'));
  await page.goto('/signin');
  await page.getByLabel('Workspace').fill(slug);
  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/inbox/);
});

test.afterEach(() => problems.expectNone());

test.afterAll(async () => {
  await context.close();
  await tool.dispose();
});

const bellCount = () => page.getByTestId('bell-count');

test('the bell marks unread apart from read, with real times, and opening one marks it read', async () => {
  await expect(bellCount()).toHaveText(String(UNREAD));
  await page.getByTestId('bell').click();
  const items = page.getByTestId('bell-item');
  await expect(items).toHaveCount(10);
  // Unread first, newest first: the last three tickets, then the read ones.
  for (let i = 0; i < UNREAD; i++) {
    await expect(items.nth(i)).toHaveClass(/\bunread\b/);
    await expect(items.nth(i)).toContainText(`Order question ${READ + UNREAD - i} ${RUN}`);
    await expect(items.nth(i)).toContainText('Unread');
  }
  for (let i = UNREAD; i < 10; i++) await expect(items.nth(i)).not.toHaveClass(/\bunread\b/);
  await expect(items.nth(UNREAD)).toContainText(`Order question ${READ} ${RUN}`);
  // A relative time, and the exact one as its tooltip.
  const time = items.first().locator('time');
  await expect(time).toHaveText(/just now|min ago/);
  await expect(time).toHaveAttribute('title', /\d{4}, \d\d:\d\d$/);
  await page.screenshot({ path: screenshotPath('bell-unread-read') });

  // Opening the newest goes to its ticket and marks it read.
  await items.first().click();
  await expect(page).toHaveURL(/\/inbox\/[0-9a-f-]+\?view=all/);
  await expect(bellCount()).toHaveText(String(UNREAD - 1));
  await page.getByTestId('bell').click();
  await expect(items.filter({ hasText: `Order question ${READ + UNREAD} ${RUN}` })).not.toHaveClass(/\bunread\b/);
  await expect(page.locator('[data-testid="bell-item"].unread')).toHaveCount(UNREAD - 1);
});

test('"See all" opens the notifications page, which pages through all of them, unread first', async () => {
  await page.getByTestId('bell-see-all').click();
  await expect(page).toHaveURL(/\/notifications$/);
  await expect(page.getByRole('heading', { name: 'Notifications', exact: true })).toBeVisible();
  await expect(page.getByTestId('unread-summary')).toHaveText(`${UNREAD - 1} unread`);
  const rows = page.getByTestId('notification');
  // More than the bell: a page of 20, then the rest.
  await expect(rows).toHaveCount(20);
  await expect(rows.nth(0)).toHaveClass(/\bunread\b/);
  await expect(rows.nth(1)).toHaveClass(/\bunread\b/);
  await expect(rows.nth(2)).not.toHaveClass(/\bunread\b/);
  await page.screenshot({ path: screenshotPath('notifications-page') });
  await page.getByTestId('notifications-more').click();
  await expect(rows).toHaveCount(READ + UNREAD);
  await expect(page.getByTestId('notifications-more')).toHaveCount(0);
  await expect(rows.last()).toContainText(`Order question 1 ${RUN}`);

  // One marked read here: the page and the bell say so.
  await rows.nth(0).getByRole('button', { name: 'Mark read' }).click();
  await expect(page.getByTestId('unread-summary')).toHaveText('1 unread');
  await expect(rows.nth(0)).not.toHaveClass(/\bunread\b/);
  await expect(bellCount()).toHaveText('1');

  // Opening an unread one from the page marks it read too.
  const last = page.locator('[data-testid="notification"].unread');
  await expect(last).toHaveCount(1);
  await last.getByRole('link').click();
  await expect(page).toHaveURL(/\/inbox\/[0-9a-f-]+\?view=all/);
  await expect(bellCount()).toHaveCount(0);
});

test('"Mark all read" on the page reads everything, and the bell follows', async ({ request }) => {
  // One more, unread.
  const login = await request.post(`${serverUrl()}/api/v1/auth/login`, {
    data: { workspace_slug: slug, email: agent.email, password: PASSWORD },
  });
  await openTickets({ Authorization: `Bearer ${(await login.json()).access_token}` }, READ + UNREAD + 1, 1);
  await page.goto('/notifications');
  await expect(page.getByTestId('unread-summary')).toHaveText('1 unread');
  await expect(bellCount()).toHaveText('1');
  await page.getByRole('button', { name: 'Mark all read' }).click();
  await expect(page.getByTestId('unread-summary')).toHaveText('All read');
  await expect(page.locator('[data-testid="notification"].unread')).toHaveCount(0);
  await expect(bellCount()).toHaveCount(0);
});
