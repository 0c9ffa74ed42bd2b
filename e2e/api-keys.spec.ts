// API keys in the demo workspace: the owner creates a key with two scopes and copies it from the
// one place it is ever shown, a tool uses it (and is refused what its scopes do not cover), the
// list shows when it was last used, and revoking it (after confirming) stops it at once. An agent
// has no such page. Nothing here writes tickets, so the other specs' counts are untouched.
import { BrowserProblems, DEMO, RUN, expect, person, screenshotPath, serverUrl, signInToDemo, test } from './fixtures';

const problems = new BrowserProblems();

test.afterEach(() => problems.expectNone());

test('16. the owner creates an API key, sees it once, a tool uses it, and revoking it stops it', async ({ browser, playwright }) => {
  const { page } = await person(browser, problems, 'owner');
  await signInToDemo(page, DEMO.owner.email);
  const rail = page.getByRole('complementary', { name: 'Navigation' });
  await rail.getByRole('link', { name: 'API keys' }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await expect(page.getByRole('heading', { name: 'API keys', level: 1 })).toBeVisible();

  // Without a scope the server explains next to the scopes.
  const name = `Shop back office ${RUN}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('checkbox', { name: /tickets:read/ }).uncheck();
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'at least one scope' })).toBeVisible();

  await page.getByRole('checkbox', { name: /tickets:read/ }).check();
  await page.getByRole('checkbox', { name: /users:read/ }).check();
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByText('you will not see it again')).toBeVisible();
  const key = (await page.getByTestId('new-api-key').innerText()).trim();
  expect(key).toMatch(/^fd_[A-Za-z0-9_-]{43}$/);
  const row = page.getByTestId('api-key-row').filter({ hasText: name });
  await expect(row).toContainText('tickets:read, users:read');
  await expect(row).toContainText(key.slice(0, 9));
  await expect(row).not.toContainText(key);
  await expect(row).toContainText('Never');
  await page.screenshot({ path: screenshotPath('api-keys-created') });

  // A tool uses the key: its scopes work, anything else is refused, and a key in a URL is refused.
  const tool = await playwright.request.newContext({ baseURL: serverUrl() });
  const auth = { Authorization: `Bearer ${key}` };
  expect((await tool.get('/api/v1/tickets', { headers: auth })).status()).toBe(200);
  expect((await tool.get('/api/v1/users', { headers: auth })).status()).toBe(200);
  const refused = await tool.get('/api/v1/reports/overview?from=2026-11-01&to=2026-11-02', { headers: auth });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).message).toContain('reports:read');
  expect((await tool.get('/api/v1/api-keys', { headers: auth })).status()).toBe(403);
  expect((await tool.get(`/api/v1/tickets?api_key=${key}`)).status()).toBe(400);

  // Its use shows in the list once the page reloads; the key itself is gone for good.
  await page.reload();
  await expect(page.getByTestId('new-api-key')).toHaveCount(0);
  await expect(row.locator('td').nth(4)).not.toHaveText('Never');

  // Revoking asks first; cancel keeps it, confirming stops it at once.
  await row.getByRole('button', { name: 'Revoke' }).click();
  await row.getByRole('button', { name: 'Cancel' }).click();
  expect((await tool.get('/api/v1/tickets', { headers: auth })).status()).toBe(200);
  await row.getByRole('button', { name: 'Revoke' }).click();
  await row.getByRole('button', { name: 'Revoke for good' }).click();
  await expect(page.locator('.toast').filter({ hasText: 'revoked' })).toBeVisible();
  await expect(page.getByTestId('api-key-row').filter({ hasText: name })).toHaveCount(0);
  expect((await tool.get('/api/v1/tickets', { headers: auth })).status()).toBe(401);
  await tool.dispose();

  // The agent: no link, and the page says whom to ask.
  const agent = await person(browser, problems, 'agent');
  await signInToDemo(agent.page, DEMO.agent.email);
  const agentRail = agent.page.getByRole('complementary', { name: 'Navigation' });
  await expect(agentRail).toContainText(DEMO.agent.name);
  await expect(agentRail.getByRole('link', { name: 'API keys' })).toHaveCount(0);
  await agent.page.goto('/settings/api-keys');
  await expect(agent.page.getByTestId('owners-only')).toContainText('Ask the owner');
});
