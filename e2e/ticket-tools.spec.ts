// The ticket page's tools in the demo workspace: the customer panel beside a ticket (their other
// tickets, the team's note kept across a reload), `a` to take the ticket, "Merge into…" with the
// customer told, and the supervisor's "assign on reply" switch on the SLA settings page.
import type { APIRequestContext, BrowserContext, Page } from '@playwright/test';

import { BrowserProblems, DEMO, RUN, expect, person, screenshotPath, serverUrl, signInToDemo, test } from './fixtures';

test.describe.configure({ mode: 'serial' });

const problems = new BrowserProblems();
const contexts: BrowserContext[] = [];
let agentPage: Page;
let supervisorPage: Page;

const requester = { name: 'Ingrid Solberg', email: `ingrid.${RUN}@mail.example` };
const first = { subject: `Parcel never arrived ${RUN}`, body: `Order 4411 was due on Monday ${RUN}.` };
const second = { subject: `Invoice address is wrong ${RUN}`, body: `Please change the invoice address ${RUN}.` };
const note = `Prefers email, never calls ${RUN}`;
let firstId = '';
let secondId = '';
let firstNumber = 0;
let secondNumber = 0;

async function openTicket(request: APIRequestContext, token: string, ticket: { subject: string; body: string }) {
  const opened = await request.post(`${serverUrl()}/api/v1/tickets`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { ...ticket, requester_email: requester.email, requester_name: requester.name },
  });
  expect(opened.status()).toBe(201);
  const created = await opened.json();
  return { id: created.id as string, number: created.number as number };
}

test.beforeAll(async ({ browser }) => {
  for (const [who, assign] of [
    ['agent', (page: Page) => (agentPage = page)],
    ['supervisor', (page: Page) => (supervisorPage = page)],
  ] as const) {
    const { context, page } = await person(browser, problems, who);
    contexts.push(context);
    assign(page);
  }
});

test.afterEach(() => problems.expectNone());

test.afterAll(async () => {
  for (const context of contexts) await context.close();
});

test('23. the customer panel lists the requester\'s other ticket, and the team\'s note stays after a reload', async ({ request }) => {
  const login = await request.post(`${serverUrl()}/api/v1/auth/login`, {
    data: { workspace_slug: DEMO.workspace, email: DEMO.owner.email, password: DEMO.password },
  });
  expect(login.status()).toBe(200);
  const { access_token: token } = await login.json();
  ({ id: firstId, number: firstNumber } = await openTicket(request, token, first));
  ({ id: secondId, number: secondNumber } = await openTicket(request, token, second));

  const page = agentPage;
  await signInToDemo(page, DEMO.agent.email);
  await page.goto(`/inbox/${firstId}?view=all`);
  await expect(page.getByTestId('ticket-subject')).toHaveText(first.subject);

  const panel = page.getByTestId('customer-panel');
  await expect(panel).toContainText('Customer since');
  await expect(panel.getByTestId('customer-counts')).toHaveText('2 open · 0 pending · 0 solved');
  // The other ticket, and not this one.
  const others = panel.getByTestId('customer-ticket');
  await expect(others).toHaveCount(1);
  await expect(others).toContainText(`#${secondNumber}`);
  await expect(others).toContainText(second.subject);
  await expect(others.getByRole('link')).toHaveAttribute('href', new RegExp(`/inbox/${secondId}\\?view=all$`));

  // The note: written, saved with PUT, and there after a reload.
  const noteBox = panel.getByTestId('customer-note');
  await expect(noteBox).toContainText('Only your team sees this.');
  await noteBox.getByRole('button', { name: 'Add a note' }).click();
  const textarea = noteBox.getByRole('textbox', { name: 'Note about this customer' });
  await expect(textarea).toBeFocused();
  await textarea.fill(note);
  const saved = page.waitForResponse(
    (response) => response.request().method() === 'PUT' && /\/api\/v1\/users\/[0-9a-f-]{36}\/note$/.test(response.url()),
  );
  await noteBox.getByRole('button', { name: 'Save' }).click();
  expect((await saved).status()).toBe(200);
  await expect(textarea).toHaveCount(0);
  await expect(noteBox).toContainText(note);
  await expect(noteBox.getByRole('button', { name: 'Edit' })).toBeVisible();

  await page.reload();
  await expect(page.getByTestId('ticket-subject')).toHaveText(first.subject);
  await expect(page.getByTestId('customer-note')).toContainText(note);
  await page.screenshot({ path: screenshotPath('ticket-customer-panel') });
});

test('24. `a` assigns the ticket to me, with a toast', async () => {
  const page = agentPage;
  await expect(page.getByTestId('ticket-subject')).toHaveText(first.subject);
  await expect(page.locator('#prop-assignee')).toHaveValue('');
  // Not while typing: the key goes into the field.
  await page.locator('#prop-tags').focus();
  await page.keyboard.press('a');
  await expect(page.locator('#prop-tags')).toHaveValue('a');
  await page.locator('#prop-tags').fill('');
  await page.locator('#prop-tags').blur();

  const assigned = page.waitForResponse(
    (response) => response.request().method() === 'PATCH' && response.url().endsWith(`/api/v1/tickets/${firstId}`),
  );
  await page.keyboard.press('a');
  const answer = await assigned;
  expect(answer.status()).toBe(200);
  expect(answer.request().postDataJSON()).toMatchObject({ assignee_id: expect.any(String) });
  await expect(page.locator('#prop-assignee option:checked')).toHaveText(`${DEMO.agent.name} (me)`);
  await expect(page.getByText('Assigned to you')).toBeVisible();

  // The shortcuts list says so.
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toContainText('Assign the ticket to me');
  await help.getByRole('button', { name: 'Close' }).click();
  await expect(help).toHaveCount(0);
});

test('25. the ticket merges into the customer\'s other one, who is told; the thread moves with it', async () => {
  const page = agentPage;
  await page.getByTestId('merge-open').click();
  const dialog = page.getByRole('dialog', { name: `Merge #${firstNumber} into…` });
  await expect(dialog).toBeVisible();
  // Esc closes it without merging.
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  await page.getByTestId('merge-open').click();
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('merge-confirm')).toBeDisabled();
  const choices = page.getByTestId('merge-choice');
  await expect(choices).toHaveCount(1);
  await expect(choices).toContainText(`#${secondNumber}`);
  await choices.click();
  await expect(dialog).toContainText(
    `#${firstNumber}'s messages move to #${secondNumber} and #${firstNumber} is closed. This cannot be undone.`,
  );
  await page.getByTestId('merge-notify').check();
  await page.screenshot({ path: screenshotPath('ticket-merge-dialog') });

  const merged = page.waitForResponse(
    (response) => response.request().method() === 'POST' && response.url().endsWith(`/api/v1/tickets/${firstId}/merge`),
  );
  await page.getByTestId('merge-confirm').click();
  const answer = await merged;
  expect(answer.status()).toBe(200);
  expect(answer.request().postDataJSON()).toEqual({ into: secondId, notify_customer: true });

  // On the ticket merged into, with the moved message in its thread.
  await expect(page).toHaveURL(new RegExp(`/inbox/${secondId}\\?view=all$`));
  await expect(page.getByTestId('ticket-subject')).toHaveText(second.subject);
  await expect(page.getByText(`Merged #${firstNumber} into #${secondNumber}`)).toBeVisible();
  await expect(page.getByTestId('thread')).toContainText(first.body);
  await expect(page.getByTestId('thread')).toContainText(second.body);
  // The merged ticket is closed now: no longer a choice, and the panel lists it as closed.
  const others = page.getByTestId('customer-ticket');
  await expect(others).toHaveCount(1);
  await expect(others).toContainText(`#${firstNumber}`);
  await expect(others).toContainText('closed');
  await expect(page.getByTestId('merge-open')).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('ticket-merged') });
});

test('26. a supervisor turns "assign on reply" off, and it stays off after a reload', async () => {
  const page = supervisorPage;
  await signInToDemo(page, DEMO.supervisor.email);
  await page.goto('/settings/sla');
  const toggle = page.getByTestId('assign-on-reply');
  await expect(toggle).toBeEnabled();
  await expect(toggle).toBeChecked();
  await expect(page.getByText('Assign a ticket to the first teammate who replies publicly')).toBeVisible();

  const patched = page.waitForResponse(
    (response) => response.request().method() === 'PATCH' && response.url().endsWith('/api/v1/workspace/settings'),
  );
  await toggle.uncheck();
  const answer = await patched;
  expect(answer.status()).toBe(200);
  expect(answer.request().postDataJSON()).toEqual({ assign_on_reply: false });
  await expect(toggle).not.toBeChecked();
  await page.screenshot({ path: screenshotPath('settings-workflow'), fullPage: true });

  await page.reload();
  await expect(page.getByTestId('assign-on-reply')).toBeEnabled();
  await expect(page.getByTestId('assign-on-reply')).not.toBeChecked();

  // Back on, so the other specs meet the default.
  const restored = page.waitForResponse(
    (response) => response.request().method() === 'PATCH' && response.url().endsWith('/api/v1/workspace/settings'),
  );
  await page.getByTestId('assign-on-reply').check();
  expect((await restored).status()).toBe(200);
  await page.reload();
  await expect(page.getByTestId('assign-on-reply')).toBeEnabled();
  await expect(page.getByTestId('assign-on-reply')).toBeChecked();
});
