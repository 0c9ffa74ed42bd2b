// The team page of a new company: staff and customers apart. A customer becomes an agent only
// through "Make agent…", which says who they are and that they will see all tickets, and then they
// are staff. Refused changes (the Free plan's last seat, demoting the only owner) leave every
// control on the role the server still has, with the reason in words.
import type { APIRequestContext, Page } from '@playwright/test';

import { BrowserProblems, PASSWORD, RUN, expect, person, screenshotPath, serverUrl, test } from './fixtures';

test.describe.configure({ mode: 'serial' });

const slug = `team-${RUN}`;
const owner = { name: 'Olga Owner', email: `olga.${RUN}@team.example` };
const cora = { name: 'Cora Customer', email: `cora.${RUN}@mail.example` };
const cid = { name: 'Cid Customer', email: `cid.${RUN}@mail.example` };

const problems = new BrowserProblems();
let tool: APIRequestContext;
let page: Page;

test.beforeAll(async ({ playwright, browser }) => {
  tool = await playwright.request.newContext({ baseURL: serverUrl() });
  const signup = await tool.post('/api/v1/signup', {
    data: { workspace_name: `Team ${RUN}`, workspace_slug: slug, name: owner.name, email: owner.email, password: PASSWORD },
  });
  expect(signup.status()).toBe(201);
  const auth = { Authorization: `Bearer ${(await signup.json()).access_token}` };
  // A ticket for someone new makes them a customer of the workspace.
  for (const customer of [cora, cid]) {
    const created = await tool.post('/api/v1/tickets', {
      headers: auth,
      data: { subject: `Question from ${customer.name}`, body: 'Hello!', requester_email: customer.email, requester_name: customer.name },
    });
    expect(created.status()).toBe(201);
  }
  ({ page } = await person(browser, problems, 'owner'));
});

test.afterEach(() => problems.expectNone());

test.afterAll(async () => {
  await page.context().close();
  await tool.dispose();
});

async function openTeam(): Promise<void> {
  if (!page.url().includes('/inbox') && !page.url().includes('/team')) {
    await page.goto('/signin');
    await page.getByLabel('Workspace').fill(slug);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/inbox/);
  }
  await page.goto('/team');
  await expect(page.getByRole('heading', { name: 'Team', exact: true })).toBeVisible();
}

const staffTab = () => page.getByRole('tab', { name: /^Staff/ });
const customersTab = () => page.getByRole('tab', { name: /^Customers/ });
const staffPanel = () => page.getByRole('tabpanel', { name: /^Staff/ });
const customersPanel = () => page.getByRole('tabpanel', { name: /^Customers/ });

test('a customer becomes an agent only after the confirmation, and then is staff', async () => {
  await openTeam();
  // Staff first: the owner, with a role control; no customer among them.
  await expect(staffTab()).toHaveAttribute('aria-selected', 'true');
  await expect(staffPanel().getByRole('row').filter({ hasText: owner.email })).toBeVisible();
  await expect(staffPanel().getByRole('row').filter({ hasText: cora.email })).toHaveCount(0);
  await expect(page.getByRole('combobox', { name: `Role of ${cora.name}` })).toHaveCount(0);

  await customersTab().click();
  await expect(customersTab()).toHaveAttribute('aria-selected', 'true');
  const coraRow = customersPanel().getByRole('row').filter({ hasText: cora.email });
  await expect(coraRow).toBeVisible();
  await expect(customersPanel().getByRole('row').filter({ hasText: cid.email })).toBeVisible();
  await expect(customersPanel().getByRole('combobox')).toHaveCount(0);

  // The button asks first, naming the person and what they will see; Cancel changes nothing.
  await coraRow.getByRole('button', { name: `Make agent… ${cora.name}` }).click();
  const dialog = page.getByRole('dialog', { name: `Make ${cora.name} an agent?` });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(`${cora.name} (${cora.email}) will see all tickets in this workspace`);
  await page.screenshot({ path: screenshotPath('team-make-agent') });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  await page.reload();
  await customersTab().click();
  await expect(customersPanel().getByRole('row').filter({ hasText: cora.email })).toBeVisible();

  await customersPanel().getByRole('row').filter({ hasText: cora.email }).getByRole('button', { name: /^Make agent…/ }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Make agent', exact: true }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByText(`${cora.name} is now an agent.`)).toBeVisible();
  // Now staff, with the role control on agent; gone from the customers.
  await expect(staffTab()).toHaveAttribute('aria-selected', 'true');
  await expect(staffPanel().getByRole('row').filter({ hasText: cora.email })).toBeVisible();
  await expect(page.getByRole('combobox', { name: `Role of ${cora.name}` })).toHaveValue('agent');
  await customersTab().click();
  await expect(customersPanel().getByRole('row').filter({ hasText: cora.email })).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('team-customers'), fullPage: true });
});

test('a promotion past the plan\'s seats is refused in the dialog, and the person stays a customer', async () => {
  await openTeam();
  await customersTab().click();
  await customersPanel().getByRole('row').filter({ hasText: cid.email }).getByRole('button', { name: `Make agent… ${cid.name}` }).click();
  const dialog = page.getByRole('dialog', { name: `Make ${cid.name} an agent?` });
  await dialog.getByRole('button', { name: 'Make agent', exact: true }).click();
  await expect(dialog.getByTestId('make-agent-error')).toContainText('The Free plan includes 2 staff seats and all 2 are taken');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(customersPanel().getByRole('row').filter({ hasText: cid.email })).toBeVisible();
  await staffTab().click();
  await expect(staffPanel().getByRole('row').filter({ hasText: cid.email })).toHaveCount(0);
});

test('a refused demotion leaves the control on the role the server has, with the reason shown', async () => {
  await openTeam();
  const ownRole = page.getByRole('combobox', { name: `Role of ${owner.name}` });
  await expect(ownRole).toHaveValue('owner');
  const answer = page.waitForResponse((response) => response.request().method() === 'PATCH' && /\/api\/v1\/users\//.test(response.url()));
  await ownRole.selectOption('agent');
  expect((await answer).status()).toBe(409);
  await expect(page.getByTestId('role-error')).toContainText(
    `${owner.name} is still an owner. A workspace needs at least one owner: make someone else an owner first.`,
  );
  await expect(ownRole).toHaveValue('owner');
  await page.screenshot({ path: screenshotPath('team-refused-demotion') });
  // The page read again agrees.
  await page.reload();
  await expect(page.getByRole('combobox', { name: `Role of ${owner.name}` })).toHaveValue('owner');

  // A change the server accepts sticks: the agent becomes a supervisor.
  const coraRole = page.getByRole('combobox', { name: `Role of ${cora.name}` });
  await coraRole.selectOption('supervisor');
  await expect(page.getByText(`${cora.name} is now a supervisor.`)).toBeVisible();
  await page.reload();
  await expect(page.getByRole('combobox', { name: `Role of ${cora.name}` })).toHaveValue('supervisor');
});
