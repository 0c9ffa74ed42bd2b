// Live, in two browsers at once: a customer's new request appears in the agent's inbox without a
// reload and the bell counts up; the agent's reply appears on the customer's page without a reload;
// a note never does.
import { BrowserProblems, RUN, expect, person, screenshotPath, test } from './fixtures';

// crates/api/src/demo/cast.rs
const WORKSPACE = 'demo';
const PASSWORD = 'ferrodesk-demo';
const AGENT = { name: 'Priya Shah', email: 'priya@northwind.example' };
const CUSTOMER = { name: 'Emma Larsen', email: 'emma.larsen@example.com' };

const problems = new BrowserProblems();

test.afterEach(() => problems.expectNone());

async function signIn(page: import('@playwright/test').Page, email: string) {
  await page.goto('/signin');
  await page.getByLabel('Workspace').fill(WORKSPACE);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('9. live: the inbox, the bell and the customer page update without a reload', async ({ browser }) => {
  const agent = await person(browser, problems, 'agent');
  const customer = await person(browser, problems, 'customer');
  const subject = `Live delivery check ${RUN}`;
  const reply = `Thanks, we see it live. (live reply ${RUN})`;
  const note = `Only for the team. (live note ${RUN})`;

  await signIn(agent.page, AGENT.email);
  await expect(agent.page).toHaveURL(/\/inbox/);
  await agent.page.getByRole('complementary', { name: 'Navigation' }).getByRole('link', { name: /^All tickets/ }).click();
  await expect(agent.page.getByTestId('ticket-row').first()).toBeVisible();
  await expect(agent.page.getByTestId('live-dot')).toHaveClass(/on/);
  const bell = agent.page.getByTestId('bell');
  const unreadBefore = Number((await agent.page.getByTestId('bell-count').count()) ? await agent.page.getByTestId('bell-count').innerText() : '0');
  // Nothing may reload the agent's page from here on.
  await agent.page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));

  await signIn(customer.page, CUSTOMER.email);
  await expect(customer.page).toHaveURL(/\/requests$/);
  await customer.page.getByRole('link', { name: 'New request' }).click();
  await customer.page.getByLabel('Subject').fill(subject);
  await customer.page.getByLabel('Tell us more').fill('Checking that the team sees this at once.');
  await customer.page.getByRole('button', { name: 'Send request' }).click();
  await expect(customer.page.getByTestId('request-subject')).toHaveText(subject);

  // The agent's inbox shows it, highlighted, and the bell counts up.
  const row = agent.page.getByTestId('ticket-row').filter({ hasText: subject });
  await expect(row).toBeVisible({ timeout: 10_000 });
  await expect(agent.page.getByTestId('bell-count')).toHaveText(String(unreadBefore + 1));
  expect(await agent.page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  await agent.page.screenshot({ path: screenshotPath('inbox-live') });

  // The agent answers; the customer's page shows the reply, never the note, without a reload.
  await customer.page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  await row.click();
  await expect(agent.page.getByTestId('ticket-subject')).toHaveText(subject);
  await agent.page.getByRole('tab', { name: /Internal note/ }).click();
  await agent.page.getByTestId('composer').fill(note);
  await agent.page.getByRole('button', { name: 'Add note' }).click();
  await expect(agent.page.getByTestId('note').filter({ hasText: note })).toBeVisible();
  await agent.page.getByRole('tab', { name: 'Reply' }).click();
  await agent.page.getByTestId('composer').fill(reply);
  await agent.page.getByRole('button', { name: 'Send reply' }).click();
  await expect(agent.page.getByTestId('reply').filter({ hasText: reply })).toBeVisible();
  // Exactly once, although the reply also came back over the socket.
  await expect(agent.page.getByTestId('reply').filter({ hasText: reply })).toHaveCount(1);

  await expect(customer.page.getByTestId('reply').filter({ hasText: reply })).toBeVisible({ timeout: 10_000 });
  await expect(customer.page.locator('body')).not.toContainText(note);
  expect(await customer.page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);

  // The customer answers back: the open ticket says so in place.
  await customer.page.getByTestId('composer').fill(`Works now, thanks! (${RUN})`);
  await customer.page.getByRole('button', { name: 'Send reply' }).click();
  await expect(agent.page.getByTestId('live-notice')).toContainText(`${CUSTOMER.name} replied just now`);
  await expect(agent.page.getByTestId('reply').filter({ hasText: `Works now, thanks! (${RUN})` })).toBeVisible();

  await agent.context.close();
  await customer.context.close();
});
