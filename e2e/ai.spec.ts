// The AI in the demo workspace: an agent has a reply drafted into the reply box (never sent by
// itself), corrects a ticket's category (which is kept, and is what the classifier learns from), and
// the owner adds a category of the workspace's own in the AI settings, which an agent cannot open.
import type { Page } from '@playwright/test';

import { BrowserProblems, DEMO, RUN, expect, person, screenshotPath, signInToDemo, test } from './fixtures';

const problems = new BrowserProblems();

test.afterEach(() => problems.expectNone());

/// Opens the first ticket of a view and waits for its thread.
async function openFirstTicket(page: Page, view: string): Promise<void> {
  await page.goto(`/inbox?view=${view}`);
  const first = page.getByTestId('ticket-row').first();
  await expect(first).toBeVisible();
  await first.click();
  await expect(page).toHaveURL(/\/inbox\/[0-9a-f-]{36}/);
  await expect(page.getByTestId('thread').locator('article').first()).toBeVisible();
}

/// Opens the demo ticket with this subject, found by searching for it.
async function openTicket(page: Page, subject: string): Promise<void> {
  await page.goto(`/inbox?view=all&q=${encodeURIComponent(subject)}`);
  const row = page.getByTestId('ticket-row').filter({ hasText: subject });
  await expect(row).toHaveCount(1);
  await row.click();
  await expect(page).toHaveURL(/\/inbox\/[0-9a-f-]{36}/);
  await expect(page.getByTestId('thread').locator('article').first()).toBeVisible();
}

test('13. an agent has a reply suggested: a draft to edit in the reply box, never sent by itself', async ({ browser }) => {
  const { page } = await person(browser, problems, 'agent');
  await signInToDemo(page, DEMO.agent.email);
  // A question the demo has solved before (delivery days), so there is something to draft from.
  await openTicket(page, 'Can my box arrive on Saturdays?');

  const composer = page.getByRole('textbox', { name: 'Reply to the customer' });
  const articles = page.getByTestId('thread').locator('article');
  const before = await articles.count();
  const requester = (await page.getByTestId('requester-name').innerText()).trim();
  const firstName = requester.split(/\s+/)[0];

  // Something the agent already wrote is replaced, and can be put back.
  await composer.fill('My own notes');
  const suggest = page.getByRole('button', { name: 'Suggest reply' });
  await expect(suggest).toBeEnabled();
  const answered = page.waitForResponse(
    (response) => response.request().method() === 'POST' && response.url().endsWith('/suggest-reply'),
  );
  await suggest.click();
  expect((await answered).status()).toBe(200);

  // The draft greets the customer, and says where it came from.
  await expect(composer).toHaveValue(new RegExp(`^(Hi ${firstName},|Hello,)\\n`));
  const origin = page.getByTestId('draft-origin');
  await expect(origin).toBeVisible();
  await expect(origin).toContainText(/Drafted from #\d+ .+ \(\d+ % similar\)/);
  // Signed once, by this agent: not by whoever answered the similar ticket.
  await expect(composer).toHaveValue(new RegExp(`Best regards,\\n${DEMO.agent.name}$`));
  expect((await composer.inputValue()).match(/Best regards/g)).toHaveLength(1);
  const draft = await composer.inputValue();
  // Blanks for the agent are named under the draft.
  const blanks = [...draft.matchAll(/\{\{(\w+)\}\}/g)].map((match) => match[1]);
  if (blanks.length > 0) {
    await expect(page.getByTestId('draft-placeholders')).toContainText(`Fill in: ${[...new Set(blanks)].join(', ')}`);
  }
  await page.screenshot({ path: screenshotPath('ai-suggested-reply') });

  // Nothing was sent: the thread is as it was.
  expect(await articles.count()).toBe(before);

  // Undo puts back what the agent had written.
  await origin.getByRole('button', { name: 'Undo' }).click();
  await expect(composer).toHaveValue('My own notes');
  await expect(origin).toHaveCount(0);

  // Into an empty box, the draft goes straight in, and the agent edits it like any text.
  await composer.fill('');
  await suggest.click();
  await expect(composer).toHaveValue(new RegExp(`^(Hi ${firstName},|Hello,)\\n`));
  await expect(page.getByTestId('draft-origin').getByRole('button', { name: 'Undo' })).toHaveCount(0);
  expect(await articles.count()).toBe(before);

  // Nothing like it solved yet: no empty frame, it says so, and what the agent wrote stays.
  await openTicket(page, 'Do you offer corporate gifting?');
  await composer.fill('Let me check with our team');
  await suggest.click();
  await expect(page.getByTestId('draft-origin')).toContainText('No similar solved ticket yet');
  await expect(composer).toHaveValue('Let me check with our team');
  await expect(page.getByTestId('draft-placeholders')).toHaveCount(0);
});

test('14. an agent changes a ticket\'s category, and it is kept across a reload', async ({ browser }) => {
  const { page } = await person(browser, problems, 'agent');
  await signInToDemo(page, DEMO.agent.email);
  await openFirstTicket(page, 'all');

  const select = page.getByRole('combobox', { name: 'Category' });
  await expect(select).toBeVisible();
  // The choices: "None", then the built-in categories (and the workspace's own).
  const choices = await select.locator('option').evaluateAll((options) =>
    options.map((option) => (option as HTMLOptionElement).value),
  );
  expect(choices[0]).toBe('');
  expect(choices).toEqual(expect.arrayContaining(['billing', 'technical', 'shipping', 'account', 'other']));

  const current = await select.inputValue();
  const next = current === 'shipping' ? 'account' : 'shipping';
  const saved = page.waitForResponse(
    (response) => response.request().method() === 'PATCH' && /\/api\/v1\/tickets\/[0-9a-f-]{36}$/.test(response.url()),
  );
  await select.selectOption(next);
  // At once (optimistic), then confirmed by the server: a person's choice, so no AI badge.
  await expect(select).toHaveValue(next);
  expect((await saved).status()).toBe(200);
  await expect(page.getByTestId('category-ai-badge')).toHaveCount(0);
  await expect(page.getByTestId('category-ai-hint')).toHaveCount(0);

  await page.reload();
  await expect(page.getByRole('combobox', { name: 'Category' })).toHaveValue(next);
  await expect(page.getByTestId('category-ai-badge')).toHaveCount(0);

  // "None" clears it, and that is kept too.
  const cleared = page.waitForResponse((response) => response.request().method() === 'PATCH');
  await page.getByRole('combobox', { name: 'Category' }).selectOption('');
  expect((await cleared).status()).toBe(200);
  await page.reload();
  await expect(page.getByRole('combobox', { name: 'Category' })).toHaveValue('');

  // With nothing chosen, the classifier's guess on arrival (when it made one) is one click away.
  const hint = page.getByTestId('category-ai-hint');
  if ((await hint.count()) > 0) {
    await expect(hint).toContainText(/^AI suggests: [a-z0-9_-]+ \(\d+ %\)/);
    const guess = (await hint.locator('strong').innerText()).trim();
    const applied = page.waitForResponse((response) => response.request().method() === 'PATCH');
    await hint.getByRole('button', { name: `Apply the category ${guess}` }).click();
    await expect(page.getByRole('combobox', { name: 'Category' })).toHaveValue(guess);
    expect((await applied).status()).toBe(200);
    await expect(hint).toHaveCount(0);
  }
});

test('15. the owner adds a category of the workspace\'s own in the AI settings; an agent has no such page', async ({ browser }) => {
  const { page } = await person(browser, problems, 'owner');
  await signInToDemo(page, DEMO.owner.email);
  const rail = page.getByRole('complementary', { name: 'Navigation' });
  await rail.getByRole('link', { name: 'AI settings' }).click();
  await expect(page).toHaveURL(/\/settings\/ai$/);
  await expect(page.getByRole('heading', { name: 'AI settings', level: 1 })).toBeVisible();
  await expect(rail.getByRole('link', { name: 'AI settings' })).toHaveAttribute('aria-current', 'page');

  // The built-in categories are listed, read only; the statuses are shown.
  await expect(page.getByTestId('builtin-category')).toHaveCount(5);
  await expect(page.getByTestId('builtin-category').first().locator('input')).toHaveCount(0);
  await expect(page.getByTestId('classifier-status')).toContainText(/Zero-shot|Nearest category|Trained on your tickets/);
  await expect(page.getByTestId('engine-status')).toContainText(/Sentence model|Word-based fallback/);
  await expect(page.getByRole('checkbox', { name: /Use AI in this workspace/ })).toBeChecked();
  await expect(page.getByRole('slider', { name: 'Confidence needed to set a category' })).toBeVisible();

  // A name the server refuses is explained next to the categories.
  const name = `refunds-${RUN}`;
  const names = page.getByRole('textbox', { name: 'Category name' });
  const descriptions = page.getByRole('textbox', { name: 'Category description' });
  const existing = await names.count();
  await page.getByRole('button', { name: 'Add category' }).click();
  await expect(names).toHaveCount(existing + 1);
  await names.last().fill('Not OK!');
  await descriptions.last().fill('Refund requests and where they stand');
  await expect(page.getByTestId('unsaved')).toBeVisible();
  await page.getByRole('button', { name: 'Save AI settings' }).click();
  await expect(page.getByTestId('categories-error')).toContainText('lower-case letters');
  await expect(page.getByTestId('ai-settings-error')).toBeVisible();

  await names.last().fill(name);
  await page.getByRole('button', { name: 'Save AI settings' }).click();
  await expect(page.locator('.toast').filter({ hasText: 'AI settings saved' })).toBeVisible();
  await expect(page.getByTestId('categories-error')).toHaveCount(0);
  await expect(page.getByTestId('unsaved')).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('ai-settings') });

  await page.reload();
  await expect(page.getByTestId('builtin-category')).toHaveCount(5);
  await expect
    .poll(() => names.evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value)))
    .toContain(name);

  // The agent: no link, the page says whom to ask, and the new category is a choice on tickets.
  const agent = await person(browser, problems, 'agent');
  await signInToDemo(agent.page, DEMO.agent.email);
  const agentRail = agent.page.getByRole('complementary', { name: 'Navigation' });
  await expect(agentRail).toContainText(DEMO.agent.name);
  await expect(agentRail.getByRole('link', { name: 'SLA settings' })).toHaveCount(0);
  await expect(agentRail.getByRole('link', { name: 'AI settings' })).toHaveCount(0);
  await agent.page.goto('/settings/ai');
  await expect(agent.page.getByTestId('owners-only')).toContainText('Ask the owner');
  await openFirstTicket(agent.page, 'all');
  await expect(agent.page.getByRole('combobox', { name: 'Category' }).locator(`option[value="${name}"]`)).toHaveCount(1);

  // Tidy up: the category goes again, so the rest of the suite sees the demo as seeded.
  await page.getByRole('button', { name: `Remove ${name}` }).click();
  await page.getByRole('button', { name: 'Save AI settings' }).click();
  await expect(page.locator('.toast').filter({ hasText: 'AI settings saved' }).last()).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('builtin-category')).toHaveCount(5);
  await expect
    .poll(() => names.evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value)))
    .not.toContain(name);
});
