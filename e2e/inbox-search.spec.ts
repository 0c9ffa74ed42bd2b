// The inbox as agents scan it all day: rows dense enough to see a screenful, the filters on one
// line, search as you type (no Enter needed) with a count, a clear button, Esc and its own empty
// state, and unread rows in bold with a dot until the agent has looked at what changed.
import type { Page } from '@playwright/test';

import { BrowserProblems, DEMO, RUN, expect, person, screenshotPath, signInToDemo, test } from './fixtures';

test.use({ viewport: { width: 1280, height: 900 } });

const CUSTOMER = { name: 'Emma Larsen', email: 'emma.larsen@example.com' }; // crates/api/src/demo/cast.rs

async function expectDense(page: Page): Promise<void> {
  const rows = page.getByTestId('ticket-row');
  await expect(rows.first()).toBeVisible();
  for (const index of [0, 1, 2]) {
    const box = (await rows.nth(index).boundingBox())!;
    expect(box.height, `row ${index} is ${box.height} px tall`).toBeGreaterThanOrEqual(60);
    expect(box.height, `row ${index} is ${box.height} px tall`).toBeLessThanOrEqual(76);
  }
}

test('rows are dense and the filters sit on one line, at 1280 and at 1024 px', async ({ page }) => {
  await signInToDemo(page, DEMO.owner.email);
  await page.goto('/inbox?view=all');
  await expectDense(page);
  // A 900 px screen shows well over the seven tickets it used to.
  const list = (await page.getByTestId('ticket-list').boundingBox())!;
  expect(list.height / 72).toBeGreaterThan(9);

  const filters = page.locator('.filters select');
  await expect(filters).toHaveCount(3);
  const tops = await filters.evaluateAll((selects) => selects.map((select) => select.getBoundingClientRect().top));
  expect(Math.max(...tops) - Math.min(...tops)).toBeLessThanOrEqual(1);
  // And none is cut short: each has room for its words beside the arrow (about 20 px).
  const room = await filters.evaluateAll((selects) =>
    (selects as HTMLSelectElement[]).map((select) => {
      const style = getComputedStyle(select);
      const context = document.createElement('canvas').getContext('2d')!;
      context.font = style.font;
      const words = context.measureText(select.options[select.selectedIndex].text).width;
      const inside = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return { words: select.options[select.selectedIndex].text, spare: Math.round(inside - words) };
    }),
  );
  for (const { words, spare } of room) expect(spare, `room beside "${words}": ${JSON.stringify(room)}`).toBeGreaterThanOrEqual(20);
  await page.screenshot({ path: screenshotPath('inbox-dense') });

  await page.setViewportSize({ width: 1024, height: 768 });
  await expectDense(page);
  await expect(page.getByRole('searchbox', { name: 'Search tickets' })).toBeVisible();
  for (const name of ['Status', 'Priority', 'Sort']) await expect(page.getByLabel(name, { exact: true })).toBeVisible();
  await page.screenshot({ path: screenshotPath('inbox-dense-1024') });
});

test('search runs as you type, says how many it found, and clears with ×, Esc or its empty state', async ({ page }) => {
  await signInToDemo(page, DEMO.owner.email);
  await page.goto('/inbox?view=all');
  const rows = page.getByTestId('ticket-row');
  await expect(rows.first()).toBeVisible();
  const unsearched = await rows.count();
  // A word from the first row's subject is sure to be found.
  const subject = (await rows.first().locator('.subject').first().innerText()).replace(/^#\d+\s*/, '');
  const word = subject.split(/[^A-Za-z]+/).filter((part) => part.length >= 5)[0] ?? subject.split(/\s+/)[0];

  // Typing, key by key and no Enter: one search once typing pauses, not one per key.
  const searches: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname === '/api/v1/tickets' && url.searchParams.has('q')) searches.push(url.searchParams.get('q')!);
  });
  const search = page.getByRole('searchbox', { name: 'Search tickets' });
  // The × shows only when there is something to clear.
  await expect(page.getByRole('button', { name: 'Clear search' })).toBeHidden();
  await search.click();
  await search.pressSequentially(word, { delay: 40 });
  await expect(page).toHaveURL(new RegExp(`[?&]q=${word}`));
  const summary = page.getByTestId('search-summary');
  await expect(summary).toHaveText(new RegExp(`^\\d+\\+? results? for “${word}”$`));
  await expect(rows.filter({ hasText: subject })).toHaveCount(1);
  expect(searches.length, `searches sent: ${JSON.stringify(searches)}`).toBeLessThanOrEqual(2);
  expect(searches.at(-1)).toBe(word);
  // The number is every match, counted by the server: the rows shown when they fit on the first
  // page of 30, more when pages wait ("+" only past the server's cap of 1,000).
  const said = (await summary.innerText()).match(/^([\d,]+)(\+?)/)!;
  const shown = await rows.count();
  const counted = Number(said[1].replaceAll(',', ''));
  expect(said[2]).toBe('');
  if (shown < 30) expect(counted).toBe(shown);
  else expect(counted).toBeGreaterThanOrEqual(shown);
  await page.screenshot({ path: screenshotPath('inbox-search') });
  // A search is listed best match first, and the sort says so; "Last updated" is still a choice.
  const sort = page.getByRole('combobox', { name: 'Sort' });
  await expect(sort.locator('option:checked')).toHaveText('Best match');
  await expect(sort.locator('option[value="updated"]')).toHaveText('Last updated');

  // The × in the box clears it, and the whole list is back.
  await page.getByRole('button', { name: 'Clear search' }).click();
  await expect(search).toHaveValue('');
  await expect(page).not.toHaveURL(/[?&]q=/);
  await expect(summary).toHaveCount(0);
  await expect.poll(() => rows.count()).toBe(unsearched);
  await expect(search).toBeFocused();
  await expect(sort.locator('option:checked')).toHaveText('Last updated');
  await expect(sort.locator('option[value="updated"]')).toHaveCount(0);

  // Nothing found: its own words and a way out, not the empty inbox's.
  const nothing = `zqxj${RUN}`;
  await search.fill(nothing);
  await expect(page).toHaveURL(new RegExp(`[?&]q=${nothing}`));
  const empty = page.getByTestId('search-empty');
  await expect(empty).toContainText(`No tickets match “${nothing}”`);
  await expect(summary).toHaveText(`0 results for “${nothing}”`);
  await expect(page.getByTestId('ticket-list')).not.toContainText('New tickets appear here');
  await expect(rows).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('inbox-search-empty') });
  await empty.getByRole('button', { name: 'Clear search' }).click();
  await expect(page).not.toHaveURL(/[?&]q=/);
  await expect(search).toHaveValue('');
  await expect.poll(() => rows.count()).toBe(unsearched);

  // Enter still searches at once; Esc in the box clears it.
  await search.fill(word);
  await search.press('Enter');
  await expect(page).toHaveURL(new RegExp(`[?&]q=${word}`));
  await expect(rows.filter({ hasText: subject })).toHaveCount(1);
  await search.press('Escape');
  await expect(search).toHaveValue('');
  await expect(page).not.toHaveURL(/[?&]q=/);

  // The URL keeps the search: a reload lands on it, and the box says it.
  await page.goto(`/inbox?view=all&q=${word}`);
  await expect(search).toHaveValue(word);
  await expect(summary).toContainText(`for “${word}”`);
});

test('a ticket with news is bold with a dot until the agent opens it', async ({ browser }) => {
  const problems = new BrowserProblems();
  const agent = await person(browser, problems, 'agent');
  const customer = await person(browser, problems, 'customer');
  await agent.page.setViewportSize({ width: 1280, height: 900 });
  const subject = `Unread check ${RUN}`;

  await signInToDemo(agent.page, DEMO.agent.email);
  await agent.page.goto('/inbox?view=all');
  await expect(agent.page.getByTestId('ticket-row').first()).toBeVisible();
  await expect(agent.page.getByTestId('live-dot')).toHaveClass(/on/);

  await customer.page.goto('/signin');
  await customer.page.getByLabel('Workspace').fill(DEMO.workspace);
  await customer.page.getByLabel('Email').fill(CUSTOMER.email);
  await customer.page.getByLabel('Password').fill(DEMO.password);
  await customer.page.getByRole('button', { name: 'Sign in' }).click();
  await expect(customer.page).toHaveURL(/\/requests$/);
  await customer.page.getByRole('link', { name: 'New request' }).click();
  await customer.page.getByLabel('Subject').fill(subject);
  await customer.page.getByLabel('Tell us more').fill('Is this bold for the team?');
  await customer.page.getByRole('button', { name: 'Send request' }).click();
  await expect(customer.page.getByTestId('request-subject')).toHaveText(subject);

  // A new ticket arrives unread: bold, with the dot.
  const row = agent.page.getByTestId('ticket-row').filter({ hasText: subject });
  await expect(row).toHaveAttribute('data-unread', 'true');
  await expect(row.locator('.unread-dot')).toBeVisible();
  expect(await row.locator('.subject').evaluate((element) => getComputedStyle(element).fontWeight)).toBe('700');

  // Opening it reads it, and it stays read away from it and after a reload.
  await row.click();
  await expect(agent.page.getByTestId('ticket-subject')).toHaveText(subject);
  await expect(row).toHaveAttribute('data-unread', 'false');
  await expect(row.locator('.unread-dot')).toBeHidden();
  await agent.page.reload();
  await expect(row).toHaveAttribute('data-unread', 'false');

  // The customer writes while it is open on screen: it stays read.
  await customer.page.getByTestId('composer').fill(`First follow-up (${RUN})`);
  await customer.page.getByRole('button', { name: 'Send reply' }).click();
  await expect(agent.page.getByTestId('thread')).toContainText(`First follow-up (${RUN})`);
  await expect(row).toHaveAttribute('data-unread', 'false');

  // With the ticket closed, the customer's next reply makes the row bold again, live.
  await agent.page.getByRole('complementary', { name: 'Navigation' }).getByRole('link', { name: /^All tickets/ }).click();
  await expect(agent.page).toHaveURL(/\/inbox\?view=all$/);
  await expect(row).toHaveAttribute('data-unread', 'false');
  await customer.page.getByTestId('composer').fill(`Second follow-up (${RUN})`);
  await customer.page.getByRole('button', { name: 'Send reply' }).click();
  await expect(row).toHaveAttribute('data-unread', 'true');
  await expect(row.locator('.unread-dot')).toBeVisible();
  await expect(row).toHaveClass(/unread/);
  await agent.page.screenshot({ path: screenshotPath('inbox-unread') });

  // Opening it clears it again.
  await row.click();
  await expect(agent.page.getByTestId('thread')).toContainText(`Second follow-up (${RUN})`);
  await expect(row).toHaveAttribute('data-unread', 'false');
  expect(await row.locator('.subject').evaluate((element) => getComputedStyle(element).fontWeight)).not.toBe('700');

  await agent.context.close();
  await customer.context.close();
  problems.expectNone();
});
