// Macros (canned replies) in the demo workspace: the supervisor writes one whose text greets the
// customer by first name and whose sending solves and tags the ticket (an unknown placeholder is
// refused, with the server's words at the text); an agent, who has no Macros page, applies it from
// the reply box with `m`, search and Enter, sends it, and the ticket is solved and tagged; the
// supervisor's list then says it was used once.
import type { BrowserContext, Page } from '@playwright/test';

import { BrowserProblems, DEMO, RUN, expect, person, screenshotPath, serverUrl, signInToDemo, test } from './fixtures';

test.describe.configure({ mode: 'serial' });

const problems = new BrowserProblems();
const contexts: BrowserContext[] = [];
let supervisorPage: Page;
let agentPage: Page;

const title = `Refund on its way ${RUN}`;
const body = 'Hi {{customer.first_name}}, your refund is on its way.';
const requester = { name: 'Rosa Lindqvist', email: `rosa.${RUN}@mail.example` };
const filled = 'Hi Rosa, your refund is on its way.';

test.beforeAll(async ({ browser }) => {
  for (const [who, assign] of [
    ['supervisor', (page: Page) => (supervisorPage = page)],
    ['agent', (page: Page) => (agentPage = page)],
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

/// The row of this run's macro on the macros page.
function row(page: Page) {
  return page.getByTestId('macro-row').filter({ hasText: title });
}

test('17. a supervisor writes a macro; an unknown placeholder is refused at the text', async () => {
  const page = supervisorPage;
  await signInToDemo(page, DEMO.supervisor.email);
  await page.getByRole('complementary', { name: 'Navigation' }).getByRole('link', { name: 'Macros' }).click();
  await expect(page).toHaveURL(/\/macros$/);
  await expect(page.getByRole('heading', { name: 'Macros', exact: true })).toBeVisible();

  await page.getByTestId('macro-new').click();
  await expect(page.getByTestId('macro-title')).toBeFocused();
  await page.getByTestId('macro-title').fill(title);
  await page.getByTestId('macro-body').fill('Hi {{customer.shoe_size}}, your refund is on its way.');
  await page.getByTestId('macro-status').selectOption('solved');
  await page.getByTestId('macro-tags').fill('refund');
  await expect(page.locator('.macro-form .chips')).toContainText('+refund');

  const refused = page.waitForResponse(
    (response) => response.request().method() === 'POST' && response.url().endsWith('/api/v1/macros'),
  );
  await page.getByTestId('macro-save').click();
  const answer = await refused;
  expect(answer.status()).toBe(422);
  const error = await answer.json();
  expect(error.code).toBe('validation_failed');
  const said = (error.fields?.body ?? []).join('; ');
  expect(said).toContain('{{customer.shoe_size}}');
  // The server's own words, beside the text they are about.
  const bodyField = page.locator('.field', { has: page.getByTestId('macro-body') });
  await expect(bodyField.getByRole('alert')).toHaveText(said);
  await expect(page.getByTestId('macro-body')).toHaveAttribute('aria-invalid', 'true');
  await expect(row(page)).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('macros-form-refused'), fullPage: true });

  // The placeholder goes in where the caret is, from the list beside the text.
  await page.getByTestId('macro-body').fill('Hi ');
  await page.getByRole('button', { name: "Insert The requester's first name" }).click();
  await page.keyboard.type(', your refund is on its way.');
  await expect(page.getByTestId('macro-body')).toHaveValue(body);

  const created = page.waitForResponse(
    (response) => response.request().method() === 'POST' && response.url().endsWith('/api/v1/macros'),
  );
  await page.getByTestId('macro-save').click();
  expect((await created).status()).toBe(201);
  await expect(page.getByTestId('macro-title')).toHaveCount(0);
  await expect(row(page)).toHaveCount(1);
  await expect(row(page)).toContainText('Hi {{customer.first_name}}, your refund is on its way.');
  await expect(row(page)).toContainText('Status → Solved');
  await expect(row(page)).toContainText('+refund');
  await expect(row(page).getByTestId('macro-usage')).toHaveText('Never used');

  // A second macro with the same title is refused, and the page says so at the title.
  await page.getByTestId('macro-new').click();
  await page.getByTestId('macro-title').fill(title.toUpperCase());
  await page.getByTestId('macro-body').fill('Another text.');
  const taken = page.waitForResponse(
    (response) => response.request().method() === 'POST' && response.url().endsWith('/api/v1/macros'),
  );
  await page.getByTestId('macro-save').click();
  const conflict = await taken;
  expect(conflict.status()).toBe(409);
  const titleField = page.locator('.field', { has: page.getByTestId('macro-title') });
  await expect(titleField.getByRole('alert')).toHaveText((await conflict.json()).message);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(row(page)).toHaveCount(1);
  await page.screenshot({ path: screenshotPath('macros-list'), fullPage: true });
});

test('18. an agent applies the macro from the reply box, sends it, and the ticket is solved and tagged', async ({ request }) => {
  // A ticket from a customer whose first name the macro greets, opened through the API.
  const login = await request.post(`${serverUrl()}/api/v1/auth/login`, {
    data: { workspace_slug: DEMO.workspace, email: DEMO.owner.email, password: DEMO.password },
  });
  expect(login.status()).toBe(200);
  const { access_token: token } = await login.json();
  const opened = await request.post(`${serverUrl()}/api/v1/tickets`, {
    headers: { Authorization: `Bearer ${token}` },
    data: {
      subject: `Where is my refund? ${RUN}`,
      body: 'I returned the boots two weeks ago.',
      requester_email: requester.email,
      requester_name: requester.name,
    },
  });
  expect(opened.status()).toBe(201);
  const ticketId: string = (await opened.json()).id;

  const page = agentPage;
  await signInToDemo(page, DEMO.agent.email);
  // Agents use macros but do not keep them: no Macros page in their rail, nor behind its address.
  const rail = page.getByRole('complementary', { name: 'Navigation' });
  await expect(rail.getByRole('link', { name: 'New ticket' })).toBeVisible();
  await expect(rail.getByRole('link', { name: 'Macros' })).toHaveCount(0);
  await page.goto('/macros');
  await expect(page.getByTestId('supervisors-only')).toContainText('Macros is for supervisors and owners.');

  await page.goto(`/inbox/${ticketId}?view=all`);
  await expect(page.getByTestId('ticket-subject')).toHaveText(`Where is my refund? ${RUN}`);
  await expect(page.getByTestId('thread').locator('article').first()).toBeVisible();
  const composer = page.getByTestId('composer');
  await expect(composer).toHaveValue('');

  // m opens the picker with the search focused; the search ignores case.
  await page.keyboard.press('m');
  const search = page.getByTestId('macro-search');
  await expect(search).toBeFocused();
  await expect(page.getByTestId('macro-option').first()).toBeVisible();
  await search.pressSequentially(`REFUND ${RUN}`);
  await expect(page.getByTestId('macro-option')).toHaveCount(1);
  await expect(page.getByTestId('macro-option')).toContainText(title);
  await expect(page.getByTestId('macro-option')).toHaveAttribute('aria-selected', 'true');
  await page.screenshot({ path: screenshotPath('macros-picker') });
  const rendered = page.waitForResponse(
    (response) => response.request().method() === 'GET' && /\/api\/v1\/tickets\/[0-9a-f-]{36}\/macros\/[0-9a-f-]{36}$/.test(response.url()),
  );
  await page.keyboard.press('Enter');
  expect((await rendered).status()).toBe(200);
  await expect(search).toHaveCount(0);

  // Into the empty box, filled in for this ticket; what sending it will do is said under the box.
  await expect(composer).toHaveValue(filled);
  const applied = page.getByTestId('macro-applied');
  await expect(applied).toContainText(`Macro: ${title} · on send: Status → Solved · +refund`);
  await page.screenshot({ path: screenshotPath('macros-applied') });

  // × forgets the macro and keeps the text; a click in the picker applies it again, after what is there.
  await page.getByTestId('macro-clear').click();
  await expect(applied).toHaveCount(0);
  await expect(composer).toHaveValue(filled);
  await page.getByTestId('macro-picker').click();
  await expect(search).toBeFocused();
  await search.fill(RUN);
  await page.getByTestId('macro-option').filter({ hasText: title }).click();
  await expect(composer).toHaveValue(`${filled}\n\n${filled}`);
  await expect(applied).toContainText(`Macro: ${title}`);
  // Esc closes the picker without applying anything.
  await page.getByTestId('macro-picker').click();
  await expect(search).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(search).toHaveCount(0);
  await expect(composer).toHaveValue(`${filled}\n\n${filled}`);

  // The agent edits the text like any other; the macro stays applied until sent.
  await composer.fill(filled);
  await expect(applied).toBeVisible();
  const sent = page.waitForResponse(
    (response) => response.request().method() === 'POST' && response.url().endsWith(`/api/v1/tickets/${ticketId}/messages`),
  );
  await page.getByRole('button', { name: 'Send reply' }).click();
  const answer = await sent;
  expect(answer.status()).toBe(201);
  expect(answer.request().postDataJSON()).toMatchObject({ body: filled, internal: false, macro_id: expect.any(String) });
  await expect(applied).toHaveCount(0);
  await expect(page.getByTestId('reply').filter({ hasText: filled })).toBeVisible();

  // The server set the macro's status and tag with the reply.
  await expect(page.getByTestId('status-select')).toHaveValue('solved');
  await expect(page.locator('.ticket-head .pill')).toHaveText('solved');
  await expect(page.getByTestId('tag-chip').filter({ hasText: /^\s*refund\s*×?\s*$/ })).toHaveCount(1);
  await page.reload();
  await expect(page.getByTestId('status-select')).toHaveValue('solved');
  await expect(page.getByTestId('tag-chip').filter({ hasText: /^\s*refund\s*×?\s*$/ })).toHaveCount(1);
});

test('19. the supervisor sees the macro used once, and deletes it', async () => {
  const page = supervisorPage;
  await page.reload();
  await expect(row(page).getByTestId('macro-usage')).toContainText('Used once');

  await row(page).getByTestId('macro-delete').click();
  const deleted = page.waitForResponse((response) => response.request().method() === 'DELETE');
  await row(page).getByTestId('macro-delete-confirm').click();
  expect((await deleted).status()).toBe(204);
  await expect(row(page)).toHaveCount(0);
});
