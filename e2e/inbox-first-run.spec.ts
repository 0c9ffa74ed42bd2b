// A brand-new workspace: the owner's empty inbox is a "Get started" checklist (invite a teammate,
// the widget or the portal link, a test request, the SLA targets), ticked as the steps get done;
// an agent's empty inbox stays calm; once the team has a teammate and a ticket the list is gone.
import type { BrowserContext, Page } from '@playwright/test';

import { BrowserProblems, PASSWORD, RUN, expect, person, screenshotPath, test } from './fixtures';

test.describe.configure({ mode: 'serial' });

const company = `Firstrun ${RUN}`;
const slug = `firstrun-${RUN}`;
const owner = { name: 'Fiona First', email: `fiona.${RUN}@firstrun.example` };
const agent = { name: 'Felix Fresh', email: `felix.${RUN}@firstrun.example` };

const problems = new BrowserProblems();
const contexts: BrowserContext[] = [];
let ownerPage: Page;
let agentPage: Page;

test.beforeAll(async ({ browser }) => {
  for (const who of ['owner', 'agent'] as const) {
    const { context, page } = await person(browser, problems, who);
    await page.setViewportSize({ width: 1280, height: 900 });
    contexts.push(context);
    if (who === 'owner') ownerPage = page;
    else agentPage = page;
  }
});

test.afterEach(() => problems.expectNone());

test.afterAll(async () => {
  for (const context of contexts) await context.close();
});

const step = (page: Page, name: string) => page.getByTestId(`step-${name}`);

test('1. a new owner sees the checklist in place of an empty inbox', async () => {
  const page = ownerPage;
  await page.goto('/signup');
  await page.getByLabel('Company').fill(company);
  await page.getByLabel('Your name').fill(owner.name);
  await page.getByLabel('Work email').fill(owner.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page).toHaveURL(/\/inbox\?view=open$/);

  const checklist = page.getByTestId('get-started');
  await expect(checklist.getByRole('heading', { name: 'Get started' })).toBeVisible();
  await expect(page.getByTestId('ticket-list')).toContainText('No open tickets.');
  await expect(page.getByTestId('get-started-count')).toHaveText('0 of 4 done');
  for (const name of ['invite', 'portal', 'test', 'sla']) await expect(step(page, name)).toHaveAttribute('data-done', 'false');

  await expect(step(page, 'invite').getByRole('link', { name: 'Invite from Team' })).toHaveAttribute('href', '/team');
  await expect(step(page, 'portal').getByRole('link', { name: 'Set up the widget' })).toHaveAttribute('href', '/settings/widget');
  await expect(page.getByTestId('portal-url')).toHaveText(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/join/${slug}$`));
  const portal = step(page, 'test').getByRole('link', { name: 'Open your portal' });
  await expect(portal).toHaveAttribute('href', new RegExp(`/join/${slug}$`));
  await expect(portal).toHaveAttribute('target', '_blank');
  await expect(step(page, 'test').getByRole('link', { name: 'Create one yourself' })).toHaveAttribute('href', '/tickets/new');
  await expect(step(page, 'sla').getByRole('link', { name: 'Review SLA targets' })).toHaveAttribute('href', '/settings/sla');
  await page.screenshot({ path: screenshotPath('inbox-first-run') });

  // At 1024 px it still fits the list column.
  await page.setViewportSize({ width: 1024, height: 768 });
  const list = (await page.getByTestId('ticket-list').boundingBox())!;
  const box = (await checklist.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(list.x + list.width + 1);
  await page.screenshot({ path: screenshotPath('inbox-first-run-1024') });
  await page.setViewportSize({ width: 1280, height: 900 });

  // Opening the SLA targets ticks that step.
  await step(page, 'sla').getByRole('link', { name: 'Review SLA targets' }).click();
  await expect(page).toHaveURL(/\/settings\/sla$/);
  await page.goto('/inbox?view=open');
  await expect(step(page, 'sla')).toHaveAttribute('data-done', 'true');
  await expect(page.getByTestId('get-started-count')).toHaveText('1 of 4 done');
});

test('2. a first ticket ticks the test request; the list can be hidden', async () => {
  const page = ownerPage;
  await step(page, 'test').getByRole('link', { name: 'Create one yourself' }).click();
  await expect(page).toHaveURL(/\/tickets\/new$/);
  await page.getByLabel('Customer email').fill(`tester.${RUN}@example.com`);
  await page.getByLabel('Subject').fill(`A test request ${RUN}`);
  await page.getByLabel('What is the problem?').fill('Checking how a request looks.');
  await page.getByRole('button', { name: 'Create ticket' }).click();
  await expect(page).toHaveURL(/\/inbox\/[0-9a-f-]{36}\?view=all$/);

  // Another empty view still shows the checklist, with the step done.
  await page.goto('/inbox?view=pending');
  await expect(page.getByTestId('ticket-list')).toContainText('No ticket is waiting on a customer.');
  await expect(step(page, 'test')).toHaveAttribute('data-done', 'true');
  await expect(step(page, 'invite')).toHaveAttribute('data-done', 'false');
  await expect(page.getByTestId('get-started-count')).toHaveText('2 of 4 done');

  // Hidden, it stays hidden.
  await page.getByRole('button', { name: 'Hide this list' }).click();
  await expect(page.getByTestId('get-started')).toHaveCount(0);
  await expect(page.getByTestId('ticket-list')).toContainText('No ticket is waiting on a customer.');
  await page.reload();
  await expect(page.getByTestId('ticket-list')).toContainText('No ticket is waiting on a customer.');
  await expect(page.getByTestId('get-started')).toHaveCount(0);
  await page.evaluate(() => {
    for (const key of Object.keys(localStorage)) if (key.startsWith('ferrodesk-get-started:')) localStorage.removeItem(key);
  });
  await page.reload();
  await expect(page.getByTestId('get-started')).toBeVisible();
});

test('3. an invited agent finds a calm empty inbox; with a teammate and a ticket the list is gone', async () => {
  const page = ownerPage;
  await step(page, 'invite').getByRole('link', { name: 'Invite from Team' }).click();
  await expect(page).toHaveURL(/\/team$/);
  await page.getByLabel('Email', { exact: true }).fill(agent.email);
  await page.getByRole('button', { name: 'Send invitation' }).click();
  const link = (await page.getByTestId('invitation-link').textContent())!.trim();

  await agentPage.goto(link);
  await agentPage.getByLabel('Your name').fill(agent.name);
  await agentPage.getByLabel('Password').fill(PASSWORD);
  await agentPage.getByRole('button', { name: 'Join the team' }).click();
  await expect(agentPage).toHaveURL(/\/inbox\?view=mine$/);
  await expect(agentPage.getByTestId('ticket-list')).toContainText('Nothing assigned to you is waiting.');
  await expect(agentPage.getByTestId('get-started')).toHaveCount(0);

  await page.goto('/inbox?view=pending');
  await expect(page.getByTestId('ticket-list')).toContainText('No ticket is waiting on a customer.');
  await expect(page.getByTestId('get-started')).toHaveCount(0);
});
