// The demo workspace (seeded by `--demo` when global-setup.ts starts the server) renders a living
// inbox, and the keyboard works the way UI.md promises: j/k move, Enter opens, ? lists the keys.
import { expect, screenshotPath, test } from './fixtures';

// crates/api/src/demo/cast.rs
const DEMO = { workspace: 'demo', name: 'Priya Shah', email: 'priya@northwind.example', password: 'ferrodesk-demo' };

test('8. the demo agent signs in to a busy inbox and moves through it with the keyboard', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/signin$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.screenshot({ path: screenshotPath('sign-in') });

  // A wrong password is refused in words, next to the form.
  await page.getByLabel('Workspace').fill(DEMO.workspace);
  await page.getByLabel('Email').fill(DEMO.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').first()).toBeVisible();
  await expect(page).toHaveURL(/\/signin$/);

  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/inbox\?view=mine$/);
  const rail = page.getByRole('complementary', { name: 'Navigation' });
  await expect(rail).toContainText('Northwind Support');
  await expect(rail).toContainText(DEMO.name);
  await expect(page.getByTestId('ticket-row').first()).toBeVisible();

  await rail.getByRole('link', { name: /^All tickets/ }).click();
  await expect(page).toHaveURL(/\/inbox\?view=all$/);
  await expect(page.getByRole('heading', { name: 'All tickets' })).toBeVisible();
  const rows = page.getByTestId('ticket-row');
  await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(20);
  // Counts in the rail.
  await expect(rail.getByRole('link', { name: /^All open/ })).toHaveText(/\d+/);

  // Rows that were in My open too keep the new view in their links (opening one keeps the list).
  for (const href of await rows.evaluateAll((links) => links.map((link) => link.getAttribute('href')))) {
    expect(href).toMatch(/^\/inbox\/[0-9a-f-]{36}\?view=all$/);
  }

  // j moves down, k up; the focused row, and only it, is marked.
  await page.keyboard.press('j');
  await expect(rows.nth(0)).toHaveClass(/selected/);
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await expect(rows.nth(2)).toHaveClass(/selected/);
  await expect(rows.nth(0)).not.toHaveClass(/selected/);
  await page.keyboard.press('k');
  await expect(rows.nth(1)).toHaveClass(/selected/);
  await expect(rows.nth(2)).not.toHaveClass(/selected/);
  await expect(page.locator('.ticket-row.selected')).toHaveCount(1);

  // Enter opens the focused ticket beside the list.
  const href = await rows.nth(1).getAttribute('href');
  const subject = (await rows.nth(1).locator('.subject').first().innerText()).replace(/^#\d+\s*/, '').trim();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`${href!.replace(/[?]/g, '\\?')}$`));
  await expect(page.getByTestId('ticket-subject')).toHaveText(subject);
  await expect(page.getByTestId('thread').locator('article').first()).toBeVisible();
  await expect(rows.nth(1)).toHaveAttribute('aria-current', 'true');
  expect(await rows.count()).toBeGreaterThanOrEqual(20); // the list stays
  await page.screenshot({ path: screenshotPath('inbox-ticket-open') });

  // r puts the cursor in the reply box; Esc takes it out again, and the page's keys work.
  await page.keyboard.press('r');
  await expect(page.getByTestId('composer')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('composer')).not.toBeFocused();

  // And again from the open ticket: j, Enter.
  await page.keyboard.press('j');
  await expect(rows.nth(2)).toHaveClass(/selected/);
  const next = await rows.nth(2).getAttribute('href');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`${next!.replace(/[?]/g, '\\?')}$`));
  await expect(rows.nth(2)).toHaveAttribute('aria-current', 'true');

  // Moving past the visible rows scrolls the list along, and k comes back.
  for (let i = 0; i < 14; i++) await page.keyboard.press('j');
  await expect(rows.nth(16)).toHaveClass(/selected/);
  await expect(rows.nth(16)).toBeInViewport({ ratio: 0.9 });
  for (let i = 0; i < 14; i++) await page.keyboard.press('k');
  await expect(rows.nth(2)).toHaveClass(/selected/);
  await expect(rows.nth(2)).toBeInViewport({ ratio: 0.9 });

  // A click opens a ticket too.
  const clicked = rows.nth(4);
  const clickedSubject = (await clicked.locator('.subject').first().innerText()).replace(/^#\d+\s*/, '').trim();
  await clicked.click();
  await expect(page.getByTestId('ticket-subject')).toHaveText(clickedSubject);

  // ? lists the shortcuts, Escape closes them; n starts an internal note, r a reply.
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();
  await page.keyboard.press('n');
  await expect(page.getByRole('textbox', { name: 'Internal note, only your team sees it' })).toBeFocused();
  await page.getByTestId('composer').blur();
  await page.keyboard.press('r');
  await expect(page.getByRole('textbox', { name: 'Reply to the customer' })).toBeFocused();
  await page.getByTestId('composer').blur();
  await page.keyboard.press('/');
  await expect(page.getByRole('searchbox', { name: 'Search tickets' })).toBeFocused();

  // A smaller screen (below 1100 px): the rail keeps its words, the conversation keeps its height.
  await page.setViewportSize({ width: 1024, height: 768 });
  await expect(rail.getByRole('link', { name: /^All open/ })).toContainText('All open');
  await expect(rail.getByText('All open')).toBeVisible();
  const railBox = (await rail.boundingBox())!;
  const signOut = (await rail.getByRole('button', { name: 'Sign out' }).boundingBox())!;
  expect(signOut.x + signOut.width).toBeLessThanOrEqual(railBox.x + railBox.width);
  expect((await page.getByTestId('thread').boundingBox())!.height).toBeGreaterThan(300);
  await page.screenshot({ path: screenshotPath('inbox-narrow') });
  await page.setViewportSize({ width: 1280, height: 800 });

  // The same inbox in the dark theme (the rail's toggle), kept across a reload.
  await page.getByRole('button', { name: 'Switch light and dark theme' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByTestId('ticket-subject')).toHaveText(clickedSubject);
  await page.screenshot({ path: screenshotPath('inbox-dark') });
});
