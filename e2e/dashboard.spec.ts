// The supervisor's pages in the demo workspace: the dashboard (charts drawn as SVG, a table beside
// each with the exact numbers, which agree with the tiles; presets that change the range and the
// title) and the SLA settings (a change is saved and kept; a refused one is explained next to the
// form). An agent gets neither link.
import type { Locator, Page } from '@playwright/test';

import { BrowserProblems, RUN, expect, person, screenshotPath, test } from './fixtures';

// crates/api/src/demo/cast.rs
const WORKSPACE = 'demo';
const PASSWORD = 'ferrodesk-demo';
const OWNER = { name: 'Olivia Bennett', email: 'olivia@northwind.example' };
const AGENT = { name: 'Priya Shah', email: 'priya@northwind.example' };

const problems = new BrowserProblems();

test.afterEach(() => problems.expectNone());

async function signIn(page: Page, email: string) {
  await page.goto('/signin');
  await page.getByLabel('Workspace').fill(WORKSPACE);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/inbox/);
}

async function numbers(cells: Locator): Promise<number[]> {
  return (await cells.allInnerTexts()).map((text) => Number(text.trim()));
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

test('10. the owner reads the dashboard: charts, tables that agree with the tiles, and ranges', async ({ browser }) => {
  const { context, page } = await person(browser, problems, 'owner');
  await signIn(page, OWNER.email);
  const rail = page.getByRole('complementary', { name: 'Navigation' });
  await rail.getByRole('link', { name: 'Dashboard' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(rail.getByRole('link', { name: 'Dashboard' })).toHaveAttribute('aria-current', 'page');

  // The default range is the last 30 days, in the title of the chart and of the page.
  const chart = page.getByTestId('per-day-chart');
  const title = page.getByTestId('per-day-chart-title');
  await expect(title).toHaveText(/^Tickets created and solved per day, \d{1,2} \w{3}( \d{4})? – \d{1,2} \w{3} \d{4}$/);
  await expect(page.getByRole('button', { name: 'Last 30 days' })).toHaveAttribute('aria-pressed', 'true');
  const range = (await title.innerText()).replace('Tickets created and solved per day, ', '');
  await expect(page.getByTestId('dashboard-range')).toContainText(range);

  // The line chart: one point per day and series, each saying its value on hover, and an axis with units.
  const points = chart.locator('svg circle.point');
  await expect(points).toHaveCount(60);
  await expect(chart.locator('svg .series-created circle title').first()).toHaveText(/^\w{3} \d{1,2} \w{3} \d{4}: \d+ tickets? created$/);
  await expect(chart.locator('svg .axis-title').first()).toHaveText('Tickets per day');
  expect(await chart.locator('svg .y-axis text.tick').count()).toBeGreaterThanOrEqual(2);

  // Its table: a row per day, totals that add up, and the same values as the points.
  const perDay = page.getByTestId('per-day-table');
  await expect(perDay.locator('tbody tr')).toHaveCount(30);
  const created = await numbers(perDay.locator('tbody tr td:nth-child(2)'));
  const solved = await numbers(perDay.locator('tbody tr td:nth-child(3)'));
  const createdTotal = Number(await page.getByTestId('created-total').innerText());
  const solvedTotal = Number(await page.getByTestId('solved-total').innerText());
  expect(sum(created)).toBe(createdTotal);
  expect(sum(solved)).toBe(solvedTotal);
  expect(createdTotal).toBeGreaterThan(0);
  const hovered = await chart.locator("svg .series-created circle title").allTextContents();
  expect(sum(hovered.map((text) => Number(/: (\d+) tickets?/.exec(text)![1])))).toBe(createdTotal);

  // The tiles agree with the tables.
  const breach = page.getByTestId('tile-breach-rate');
  await expect(breach).toContainText(new RegExp(`\\d+ of ${createdTotal} new tickets? missed a target`));
  await expect(page.getByTestId('tile-first-response-average-value')).toHaveText(/^(\d+ (min|h|d)|< 1 min|—)/);
  await expect(page.getByTestId('tile-first-response-median-value')).toHaveText(/^(\d+ (min|h|d)|< 1 min|—)/);
  await expect(page.getByTestId('tile-resolution-average-value')).toHaveText(/^(\d+ (min|h|d)|< 1 min|—)/);
  await expect(page.getByTestId('tile-breach-rate-value')).toHaveText(/^\d+(\.\d)?%$/);

  // The bar chart: a bar per status, coloured by status, each with its value; the table beside it agrees.
  const bars = page.getByTestId('backlog-chart').locator('svg rect.bar');
  await expect(bars).toHaveCount(5);
  await expect(bars.first().locator('title')).toHaveText(/^New: \d+ tickets?$/);
  const barValues = (await bars.evaluateAll((rects) => rects.map((rect) => rect.getAttribute('data-value')))).map(Number);
  const backlog = page.getByTestId('backlog-table');
  const statusValues = await numbers(backlog.locator('tbody td.num'));
  expect(statusValues).toEqual(barValues);
  const backlogTotal = Number(await page.getByTestId('backlog-total').innerText());
  expect(backlogTotal).toBe(statusValues[0] + statusValues[1] + statusValues[2]);
  await expect(page.getByTestId('tile-backlog-value')).toHaveText(String(backlogTotal));
  expect(backlogTotal).toBeGreaterThan(0);

  // The agents: everyone who answers tickets, with numbers.
  const agents = page.getByTestId('agents-table');
  await expect(agents.getByTestId('agent-row')).toHaveCount(5);
  await expect(agents.getByTestId('agent-row').filter({ hasText: AGENT.name }).locator('td.num').first()).toHaveText(/^\d+$/);
  // The page scrolls inside the workspace: a tall window shows all of it at once.
  await page.setViewportSize({ width: 1280, height: 1640 });
  await page.screenshot({ path: screenshotPath('dashboard') });
  // A smaller screen (below 1100 px): three tiles a row, each chart above its table, nothing cut off.
  await page.setViewportSize({ width: 1024, height: 1900 });
  for (const overflow of await page.locator('.tile').evaluateAll((tiles) => tiles.map((tile) => tile.scrollWidth - tile.clientWidth))) {
    expect(overflow).toBeLessThanOrEqual(0);
  }
  const chartBox = (await chart.boundingBox())!;
  const tableBox = (await perDay.boundingBox())!;
  expect(tableBox.y).toBeGreaterThan(chartBox.y + chartBox.height - 1);
  await page.screenshot({ path: screenshotPath('dashboard-narrow') });
  await page.setViewportSize({ width: 1280, height: 800 });

  // A preset changes the range: the URL, the title and the table follow.
  await page.getByRole('button', { name: 'Last 7 days' }).click();
  await expect(page).toHaveURL(/\/dashboard\?from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}$/);
  await expect(title).not.toHaveText(`Tickets created and solved per day, ${range}`);
  await expect(perDay.locator('tbody tr')).toHaveCount(7);
  await expect(points).toHaveCount(14);
  await expect(page.getByRole('button', { name: 'Last 7 days' })).toHaveAttribute('aria-pressed', 'true');
  const week = await title.innerText();

  // The date fields change it too, and the URL keeps it across a reload.
  const to = await page.getByLabel('To', { exact: true }).inputValue();
  await page.getByLabel('From', { exact: true }).fill(to);
  await expect(perDay.locator('tbody tr')).toHaveCount(1);
  // The table's caption, not the chart's title: a day with no tickets yet (just after midnight)
  // shows the empty state instead of the chart, and the table says the range either way.
  await expect(perDay.locator('caption')).toHaveText(/^Tickets created and solved per day, \d{1,2} \w{3} \d{4}$/);
  await expect(perDay.locator('caption')).not.toHaveText(week);
  await page.reload();
  await expect(perDay.locator('tbody tr')).toHaveCount(1);
  await expect(page.getByLabel('From', { exact: true })).toHaveValue(to);
  await page.getByRole('button', { name: 'Last 90 days' }).click();
  await expect(perDay.locator('tbody tr')).toHaveCount(90);

  // The same dashboard in the dark theme.
  await page.getByRole('button', { name: 'Last 30 days' }).click();
  await expect(perDay.locator('tbody tr')).toHaveCount(30);
  await page.getByRole('button', { name: 'Switch light and dark theme' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.setViewportSize({ width: 1280, height: 1640 });
  await page.screenshot({ path: screenshotPath('dashboard-dark') });

  await context.close();
});

test('11. the owner changes an SLA target and it is kept; an agent gets neither page', async ({ browser }) => {
  const { context, page } = await person(browser, problems, 'owner');
  await signIn(page, OWNER.email);
  const rail = page.getByRole('complementary', { name: 'Navigation' });
  await rail.getByRole('link', { name: 'SLA settings' }).click();
  await expect(page).toHaveURL(/\/settings\/sla$/);
  await expect(page.getByRole('heading', { name: 'SLA settings' })).toBeVisible();

  const hours = page.getByLabel('Normal first response, hours');
  const minutes = page.getByLabel('Normal first response, minutes');
  await expect(hours).toHaveValue('8');
  await expect(minutes).toHaveValue('0');
  await hours.fill('6');
  await minutes.fill('30');
  await expect(page.getByTestId('sla-normal')).toContainText('= 6 h 30 min');
  await page.getByRole('button', { name: 'Save targets' }).click();
  await expect(page.locator('.toast').filter({ hasText: 'SLA targets saved' })).toBeVisible();
  await page.screenshot({ path: screenshotPath('sla-settings') });

  await page.reload();
  await expect(hours).toHaveValue('6');
  await expect(minutes).toHaveValue('30');

  // The server refuses a resolution shorter than the first response, and says so next to the form.
  await page.getByLabel('Normal resolution, hours').fill('1');
  await page.getByLabel('Normal resolution, minutes').fill('0');
  await page.getByRole('button', { name: 'Save targets' }).click();
  await expect(page.getByTestId('sla-error')).toContainText('cannot be shorter than the first-response target');
  // A typo is caught before anything is sent.
  await page.getByLabel('Normal resolution, minutes').fill('75');
  await page.getByRole('button', { name: 'Save targets' }).click();
  await expect(page.getByTestId('sla-error')).toContainText('minutes from 0 to 59');

  // Back to the demo's targets.
  await page.getByRole('button', { name: 'Use the defaults' }).click();
  await expect(hours).toHaveValue('8');
  await page.getByRole('button', { name: 'Save targets' }).click();
  await expect(page.locator('.toast').filter({ hasText: 'SLA targets saved' })).toBeVisible();
  await expect(page.getByTestId('sla-error')).toHaveCount(0);
  await context.close();

  // An agent has neither link, and the pages tell them whom to ask.
  const agent = await person(browser, problems, 'agent');
  await signIn(agent.page, AGENT.email);
  const agentRail = agent.page.getByRole('complementary', { name: 'Navigation' });
  await expect(agentRail).toContainText(AGENT.name);
  await expect(agentRail.getByRole('link', { name: 'Dashboard' })).toHaveCount(0);
  await expect(agentRail.getByRole('link', { name: 'SLA settings' })).toHaveCount(0);

  // The inbox sorts by the nearest target; every row it lists has one, and says it.
  await agentRail.getByRole('link', { name: /^All open/ }).click();
  await agent.page.getByRole('combobox', { name: 'Sort' }).selectOption('due');
  await expect(agent.page).toHaveURL(/sort=due/);
  const rows = agent.page.getByTestId('ticket-row');
  await expect(rows.first()).toBeVisible();
  for (const badge of await rows.evaluateAll((links) => links.map((link) => link.querySelector('[data-testid="sla-badge"]')?.textContent ?? ''))) {
    expect(badge).toMatch(/due in \d+ (min|h|days?)|overdue|breached/);
  }

  await agent.page.goto('/dashboard');
  await expect(agent.page.getByTestId('supervisors-only')).toContainText('Ask a supervisor');
  await agent.page.goto('/settings/sla');
  await expect(agent.page.getByTestId('supervisors-only')).toContainText('SLA settings is for supervisors and owners');
  await agent.context.close();
});

test('12. a missed first-response target is acted on and shows on the timeline, live', async ({ browser }) => {
  // The scheduler scans every minute: a one-minute target is missed within about two.
  test.setTimeout(240_000);
  const { context, page } = await person(browser, problems, 'owner');
  await signIn(page, OWNER.email);
  await page.goto('/settings/sla');
  await expect(page.getByLabel('Urgent first response, hours')).toHaveValue('1');
  await page.getByLabel('Urgent first response, hours').fill('0');
  await page.getByLabel('Urgent first response, minutes').fill('1');
  await page.getByRole('button', { name: 'Save targets' }).click();
  await expect(page.locator('.toast').filter({ hasText: 'SLA targets saved' })).toBeVisible();

  // The dashboard, open in another tab, counts the new ticket without a reload.
  const board = problems.watch(await context.newPage(), 'owner dashboard');
  await board.goto('/dashboard');
  await expect(board.getByTestId('created-total')).toHaveText(/^\d+$/);
  await expect(board.getByTestId('live-dot')).toHaveClass(/on/);
  const createdBefore = Number(await board.getByTestId('created-total').innerText());
  const backlogBefore = Number(await board.getByTestId('tile-backlog-value').innerText());

  const subject = `Checkout down for everyone ${RUN}`;
  await page.getByRole('complementary', { name: 'Navigation' }).getByRole('link', { name: 'New ticket' }).click();
  await page.getByLabel('Customer email').fill('emma.larsen@example.com');
  await page.getByLabel('Subject').fill(subject);
  await page.getByLabel('What is the problem?').fill('Nobody can pay since the last deploy.');
  await page.getByLabel('Priority').selectOption('urgent');
  await page.getByRole('button', { name: 'Create ticket' }).click();
  await expect(page.getByTestId('ticket-subject')).toHaveText(subject);
  const row = page.getByTestId('ticket-row').filter({ hasText: subject });
  await expect(row.getByTestId('sla-badge')).toHaveText(/due in 1 min|overdue/);
  // Coloured by the share of the 1-minute target left (unit-tested in the web crate's badges).
  await expect(row.getByTestId('sla-badge')).toHaveClass(/\b(ok|warning|urgent|overdue)\b/);
  await expect(board.getByTestId('created-total')).toHaveText(String(createdBefore + 1));
  await expect(board.getByTestId('tile-backlog-value')).toHaveText(String(backlogBefore + 1));
  await board.close();

  // Nothing may reload the page from here on: the breach arrives over the socket.
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));

  const breach = page.getByTestId('thread').getByTestId('breach');
  // Saying what was done: to whom it was assigned, or that the supervisors were told.
  await expect(breach).toHaveText(
    /Missed the first-response target · (Assigned to .+|Assigned automatically|Escalated to the supervisors, priority raised) · /,
    { timeout: 180_000 },
  );
  await expect(row.getByTestId('sla-badge')).toHaveText(/breached/);
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  // A system line after the customer's message, not a message itself.
  const timeline = page.getByTestId('thread').locator(':scope > *');
  await expect(timeline).toHaveCount(2);
  await expect(timeline.nth(0)).toHaveAttribute('data-testid', 'reply');
  await expect(timeline.nth(1)).toHaveAttribute('data-testid', 'breach');
  await page.screenshot({ path: screenshotPath('ticket-breach') });

  // Back to the demo's targets; the breach stays on the ticket after a reload.
  await page.reload();
  await expect(breach).toBeVisible();
  await page.goto('/settings/sla');
  await page.getByRole('button', { name: 'Use the defaults' }).click();
  await page.getByRole('button', { name: 'Save targets' }).click();
  await expect(page.locator('.toast').filter({ hasText: 'SLA targets saved' })).toBeVisible();
  await context.close();
});
