// "Possible duplicate of #N" in the demo workspace: a customer writes the same problem twice; once
// the second ticket is categorised (the server's worker, with the MiniLM model when its weights are
// in models/), an agent sees the banner above its thread, says "Not a duplicate" for one pair and
// merges the other in one click, landing on the ticket it went into.
import type { APIRequestContext, BrowserContext, Page } from '@playwright/test';

import { BrowserProblems, DEMO, RUN, expect, person, screenshotPath, serverUrl, signInToDemo, test } from './fixtures';

test.describe.configure({ mode: 'serial' });

const problems = new BrowserProblems();
const contexts: BrowserContext[] = [];
let page: Page;

const requester = { name: 'Tomas Lindqvist', email: `tomas.${RUN}@mail.example` };

type Made = { id: string; number: number; subject: string };

async function ownerToken(request: APIRequestContext): Promise<string> {
  const login = await request.post(`${serverUrl()}/api/v1/auth/login`, {
    data: { workspace_slug: DEMO.workspace, email: DEMO.owner.email, password: DEMO.password },
  });
  expect(login.status()).toBe(200);
  return (await login.json()).access_token as string;
}

async function openTicket(request: APIRequestContext, token: string, subject: string, body: string): Promise<Made> {
  const opened = await request.post(`${serverUrl()}/api/v1/tickets`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { subject, body, requester_email: requester.email, requester_name: requester.name },
  });
  expect(opened.status()).toBe(201);
  const created = await opened.json();
  return { id: created.id as string, number: created.number as number, subject };
}

test.beforeAll(async ({ browser }) => {
  const { context, page: agentPage } = await person(browser, problems, 'agent');
  contexts.push(context);
  page = agentPage;
  await signInToDemo(page, DEMO.agent.email);
});

test.afterEach(() => problems.expectNone());

test.afterAll(async () => {
  for (const context of contexts) await context.close();
});

test('45. the second telling of a problem says whose duplicate it may be, and "Not a duplicate" forgets it', async ({ request }) => {
  const token = await ownerToken(request);
  const first = await openTicket(
    request,
    token,
    `Cannot log in after password reset ${RUN}`,
    'I reset my password yesterday but the login page still says my password is wrong.',
  );
  const again = await openTicket(
    request,
    token,
    `Login still failing after resetting my password ${RUN}`,
    'After resetting my password I still cannot sign in, it keeps telling me the password is incorrect.',
  );

  // Opened at once: the banner comes when the worker has categorised it (live, or on load).
  await page.goto(`/inbox/${again.id}?view=all`);
  await expect(page.getByTestId('ticket-subject')).toHaveText(again.subject);
  const banner = page.getByTestId('duplicate-banner');
  await expect(banner).toContainText(`Possible duplicate of #${first.number} “${first.subject}”`, { timeout: 20_000 });
  await expect(banner.getByTestId('duplicate-link')).toHaveAttribute('href', new RegExp(`/inbox/${first.id}\\?view=all$`));
  await expect(banner.getByRole('button', { name: `Merge into #${first.number}` })).toBeVisible();
  await page.screenshot({ path: screenshotPath('ticket-possible-duplicate') });

  const dismissed = page.waitForResponse(
    (response) => response.request().method() === 'DELETE' && response.url().endsWith(`/api/v1/tickets/${again.id}/possible-duplicate`),
  );
  await banner.getByRole('button', { name: 'Not a duplicate' }).click();
  expect((await dismissed).status()).toBe(204);
  await expect(banner).toHaveCount(0);
  await expect(page.getByText('Marked as not a duplicate')).toBeVisible();

  await page.reload();
  await expect(page.getByTestId('ticket-subject')).toHaveText(again.subject);
  await expect(page.getByTestId('thread').locator('article').first()).toBeVisible();
  await expect(page.getByTestId('duplicate-banner')).toHaveCount(0);
});

test('46. "Merge into #N" merges in one click, without telling the customer, and opens #N', async ({ request }) => {
  const token = await ownerToken(request);
  const first = await openTicket(
    request,
    token,
    `My parcel has not arrived ${RUN}`,
    'I ordered a blue jacket two weeks ago and it still has not arrived. The tracking has not changed since Monday.',
  );
  // MiniLM scores this rewording 0.90-0.92 against the first, whatever the run's token (the
  // threshold is 0.80). An earlier wording scored 0.795 alone and 0.82-0.86 with tokens: the run's
  // token decided whether the banner came.
  const again = await openTicket(
    request,
    token,
    `Blue jacket order not arrived yet ${RUN}`,
    'I ordered a blue jacket two weeks ago and it has not arrived yet; the tracking has shown no change since Monday.',
  );

  await page.goto(`/inbox/${again.id}?view=all`);
  await expect(page.getByTestId('ticket-subject')).toHaveText(again.subject);
  const banner = page.getByTestId('duplicate-banner');
  await expect(banner).toContainText(`Possible duplicate of #${first.number}`, { timeout: 20_000 });

  const merged = page.waitForResponse(
    (response) => response.request().method() === 'POST' && response.url().endsWith(`/api/v1/tickets/${again.id}/merge`),
  );
  await banner.getByRole('button', { name: `Merge into #${first.number}` }).click();
  const answer = await merged;
  expect(answer.status()).toBe(200);
  expect(answer.request().postDataJSON()).toEqual({ into: first.id, notify_customer: false });

  await expect(page).toHaveURL(new RegExp(`/inbox/${first.id}\\?view=all$`));
  await expect(page.getByText(`Merged #${again.number} into #${first.number}`)).toBeVisible();
  await expect(page.getByTestId('ticket-subject')).toHaveText(first.subject);
  // The moved message is in the thread, with the team's note saying where it came from.
  const thread = page.getByTestId('thread');
  await expect(thread).toContainText('it has not arrived yet; the tracking has shown no change');
  await expect(thread).toContainText(`Merged #${again.number}`);
  await expect(page.getByTestId('duplicate-banner')).toHaveCount(0);
});
