// The first second of the app: a static shell stands in while the wasm loads (no blank white
// page), the app replaces it, and each person lands where they work: an agent on their own open
// tickets, a supervisor or an owner on all open tickets.
import { DEMO, expect, serverUrl, signInToDemo, test } from './fixtures';

test('the shell shows while the app loads, and is gone once it runs', async ({ browser, page }) => {
  // The wasm never arrives (in a page of its own: the failed load is expected there): the page
  // still says Ferrodesk is loading instead of staying white.
  const stalled = await browser.newPage({ baseURL: serverUrl() });
  await stalled.route('**/*.wasm', (route) => route.abort());
  await stalled.goto('/');
  await expect(stalled.getByRole('status', { name: 'Loading Ferrodesk' })).toBeVisible();
  await expect(stalled.locator('#boot')).toContainText('Loading Ferrodesk');
  await stalled.close();

  await page.goto('/signin');
  await expect(page.getByLabel('Workspace')).toBeVisible();
  await expect(page.locator('#boot')).toHaveCount(0);
});

for (const [who, email, view] of [
  ['an agent', DEMO.agent.email, 'mine'],
  ['a supervisor', DEMO.supervisor.email, 'open'],
  ['an owner', DEMO.owner.email, 'open'],
] as const) {
  test(`${who} lands on view=${view}`, async ({ page }) => {
    await signInToDemo(page, email);
    await page.goto('/');
    await expect(page).toHaveURL(new RegExp(`/inbox\\?view=${view}$`));
    await expect(page.locator('#boot')).toHaveCount(0);
  });
}
