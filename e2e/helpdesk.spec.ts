// One company's helpdesk, walked as new people would, each in their own browser: the owner signs
// up and invites an agent, a customer registers (confirming the address from the email) and asks for help, the agent answers with a reply
// and an internal note, the customer sees the reply but never the note, a solved ticket reopens
// when the customer writes again, and another company cannot open the ticket by its address.
import type { BrowserContext, Page } from '@playwright/test';

import { BrowserProblems, PASSWORD, RUN, expect, mailedLink, person, screenshotPath, test } from './fixtures';

const company = `Acme ${RUN}`;
const slug = `acme-${RUN}`;
const owner = { name: 'Olive Owner', email: `olive.${RUN}@acme.example` };
const agent = { name: 'Arthur Agent', email: `arthur.${RUN}@acme.example` };
const customer = { name: 'Carol Customer', email: `carol.${RUN}@example.com` };
const outsider = { company: `Globex ${RUN}`, name: 'Oscar Outsider', email: `oscar.${RUN}@globex.example` };

// Words the search and the privacy checks look for; each appears in exactly one place.
const subject = `Card declined at checkout ${RUN}`;
const body = `My card keeps getting declined when I pay for order 4711. The word is marzipan${RUN}.`;
const replyText = `Sorry about that! Could you try again now? We lifted the block. (reply ${RUN})`;
const noteText = `Fraud filter flagged this card, whitelisted it. Keep an eye on it. (secret ${RUN})`;
const followUp = `It failed again this morning, same error. (follow-up ${RUN})`;

test.describe.configure({ mode: 'serial' });

const problems = new BrowserProblems();
const contexts: BrowserContext[] = [];
let ownerPage: Page;
let agentPage: Page;
let customerPage: Page;
let outsiderPage: Page;
let ticketId: string;

test.beforeAll(async ({ browser }) => {
  for (const [who, assign] of [
    ['owner', (page: Page) => (ownerPage = page)],
    ['agent', (page: Page) => (agentPage = page)],
    ['customer', (page: Page) => (customerPage = page)],
    ['outsider', (page: Page) => (outsiderPage = page)],
  ] as const) {
    const { context, page } = await person(browser, problems, who);
    contexts.push(context);
    assign(page);
  }
});

test.afterEach(() => {
  problems.expectNone();
});

test.afterAll(async () => {
  for (const context of contexts) await context.close();
});

async function signUpCompany(page: Page, who: { company: string; name: string; email: string }, shot?: string) {
  await page.goto('/signup');
  await expect(page.getByRole('heading', { name: 'Create your workspace' })).toBeVisible();
  await page.getByLabel('Company').fill(who.company);
  // The address is suggested from the company name.
  await expect(page.getByLabel('Workspace address')).toHaveValue(who.company.toLowerCase().replace(/ /g, '-'));
  await page.getByLabel('Your name').fill(who.name);
  await page.getByLabel('Work email').fill(who.email);
  await page.getByLabel('Password').fill(PASSWORD);
  if (shot) await page.screenshot({ path: screenshotPath(shot) });
  await page.getByRole('button', { name: 'Create workspace' }).click();
  // An owner watches the whole queue: they land on All open, not on an empty My open.
  await expect(page).toHaveURL(/\/inbox\?view=open$/);
  await expect(page.getByRole('heading', { name: 'All open' })).toBeVisible();
}

test('1. a company signs up and its owner stays signed in across a reload', async () => {
  const page = ownerPage;
  await signUpCompany(page, { company, ...owner }, 'sign-up');
  const rail = page.getByRole('complementary', { name: 'Navigation' });
  await expect(rail).toContainText(company);
  await expect(rail).toContainText(owner.name);
  await expect(page.getByTestId('ticket-list')).toContainText('No open tickets.');

  await page.reload();
  await expect(page).toHaveURL(/\/inbox\?view=open$/);
  await expect(page.getByRole('heading', { name: 'All open' })).toBeVisible();
  await expect(rail).toContainText(owner.name);
  await expect(rail).toContainText('owner');
});

test('2. the owner invites an agent, who accepts the link and lands in the inbox', async () => {
  const page = ownerPage;
  await page.getByRole('link', { name: 'Team', exact: true }).click();
  await expect(page).toHaveURL(/\/team$/);
  await expect(page.getByRole('heading', { name: 'Team', exact: true })).toBeVisible();
  await expect(page.getByRole('cell', { name: owner.email })).toBeVisible();
  // A new company is on Free: two staff seats, the owner's taken.
  await expect(page.getByTestId('seats')).toHaveText('Free plan: 1 of 2 staff seats used. Customers take no seat.');

  await page.getByLabel('Email', { exact: true }).fill(agent.email);
  await expect(page.getByLabel('Role', { exact: true })).toHaveValue('agent');
  await page.getByRole('button', { name: 'Send invitation' }).click();
  const linkBox = page.getByTestId('invitation-link');
  await expect(linkBox).toBeVisible();
  const link = (await linkBox.textContent())!.trim();
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/invite\/\S+$/);
  const pending = page.getByRole('row').filter({ hasText: agent.email });
  await expect(pending).toContainText('agent');
  await expect(pending).toContainText('in 3 days'); // invitations last 72 hours
  await page.screenshot({ path: screenshotPath('team'), fullPage: true });

  const joining = agentPage;
  await joining.goto(link);
  await expect(joining.getByRole('heading', { name: `Join ${company}` })).toBeVisible();
  await expect(joining.getByText(`You were invited as an agent with ${agent.email}.`)).toBeVisible();
  await joining.getByLabel('Your name').fill(agent.name);
  await joining.getByLabel('Password').fill(PASSWORD);
  await joining.getByRole('button', { name: 'Join the team' }).click();
  await expect(joining).toHaveURL(/\/inbox\?view=mine$/);
  const rail = joining.getByRole('complementary', { name: 'Navigation' });
  await expect(rail).toContainText(agent.name);
  await expect(rail).toContainText('agent');

  // The owner now sees the agent among the people, and no invitation waiting.
  await page.reload();
  await expect(page.getByRole('row').filter({ hasText: agent.name })).toContainText(agent.email);
  await expect(page.getByText('No invitation is waiting.')).toBeVisible();

  // Both seats are taken: the page says so, and a third invitation is refused with the server's reason.
  await expect(page.getByTestId('seats')).toContainText('All 2 staff seats of the Free plan are taken.');
  await page.getByLabel('Email', { exact: true }).fill('third@acme-e2e.example');
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByText('The Free plan includes 2 staff seats and all 2 are taken')).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: 'third@acme-e2e.example' })).toHaveCount(0);
});

test('3. a customer registers in the help centre and sends a request', async () => {
  const page = customerPage;
  await page.goto(`/join/${slug}`);
  await expect(page.getByRole('heading', { name: `${company} support` })).toBeVisible();
  await page.getByLabel('Your name').fill(customer.name);
  await page.getByLabel('Email').fill(customer.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  // The address is proven by opening the link mailed to it, not by typing it.
  await expect(page.getByTestId('check-inbox')).toContainText(customer.email);
  const confirmation = await mailedLink(customer.email, 'Confirm your email address');
  await page.goto(confirmation);
  await expect(page).toHaveURL(/\/requests$/);
  await expect(page.getByTestId('confirm-email')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Your requests' })).toBeVisible();
  await expect(page.getByText('You have not asked us anything yet.')).toBeVisible();

  await page.getByRole('link', { name: 'New request' }).click();
  await expect(page).toHaveURL(/\/requests\/new$/);
  await expect(page.getByRole('heading', { name: 'How can we help?' })).toBeVisible();
  await page.getByLabel('Subject').fill(subject);
  await page.getByLabel('Tell us more').fill(body);
  await page.getByRole('button', { name: 'Send request' }).click();
  await expect(page).toHaveURL(/\/requests\/[0-9a-f-]{36}$/);
  await expect(page.locator('.toast').filter({ hasText: /^We have your request #\d+\./ })).toBeVisible();
  ticketId = /\/requests\/([0-9a-f-]{36})$/.exec(page.url())![1];
  await expect(page.getByTestId('request-subject')).toHaveText(subject);
  await expect(page.getByTestId('request-status')).toHaveText('Open');
  await expect(page.getByTestId('thread')).toContainText(body);

  await page.getByRole('link', { name: '← All your requests' }).click();
  await expect(page).toHaveURL(/\/requests$/);
  const list = page.getByTestId('request-list');
  await expect(list.getByRole('link', { name: new RegExp(subject) })).toBeVisible();
  await expect(list).toContainText('Open');
  await page.screenshot({ path: screenshotPath('customer-requests') });
});

test('4. the agent finds the ticket, replies, and adds an internal note', async () => {
  const page = agentPage;
  // The new ticket is nobody's yet: it waits in Unassigned.
  await page.getByRole('link', { name: /^Unassigned/ }).click();
  await expect(page).toHaveURL(/\/inbox\?view=unassigned$/);
  await expect(page.getByRole('heading', { name: 'Unassigned' })).toBeVisible();
  await expect(page.getByTestId('ticket-row').filter({ hasText: subject })).toBeVisible();

  // Search looks in the messages too: a word that is nowhere finds nothing, one from the body finds it.
  const search = page.getByRole('searchbox', { name: 'Search tickets' });
  await search.fill(`nothing-like-this-${RUN}`);
  await search.press('Enter');
  await expect(page).toHaveURL(/[?&]q=nothing-like-this/);
  await expect(page.getByTestId('search-empty')).toContainText(`No tickets match “nothing-like-this-${RUN}”`);
  await expect(page.getByTestId('ticket-row')).toHaveCount(0);
  await search.fill(`marzipan${RUN}`);
  await search.press('Enter');
  await expect(page).toHaveURL(new RegExp(`[?&]q=marzipan${RUN}`));
  await expect(page.getByTestId('ticket-row')).toHaveCount(1);
  const row = page.getByTestId('ticket-row').filter({ hasText: subject });
  await expect(row).toContainText(customer.name);
  await expect(row).toContainText('new');

  await row.click();
  await expect(page).toHaveURL(new RegExp(`/inbox/${ticketId}\\?`));
  await expect(page.getByTestId('ticket-subject')).toHaveText(subject);
  const thread = page.getByTestId('thread');
  await expect(thread).toContainText(body);
  // Opening a ticket keeps the list and its search.
  await expect(page.getByTestId('ticket-row')).toHaveCount(1);
  await expect(search).toHaveValue(`marzipan${RUN}`);

  // A public reply.
  await expect(page.getByRole('tab', { name: 'Reply' })).toHaveAttribute('aria-selected', 'true');
  await page.getByTestId('composer').fill(replyText);
  await page.getByRole('button', { name: 'Send reply' }).click();
  const reply = thread.getByTestId('reply').filter({ hasText: replyText });
  await expect(reply).toBeVisible();
  await expect(reply).not.toHaveClass(/pending-send/);
  await expect(reply).not.toHaveClass(/internal/);
  await expect(page.getByTestId('composer')).toHaveValue('');
  // The first public answer opens a new ticket, and the pane says so without a reload.
  await expect(page.getByTestId('status-select')).toHaveValue('open');
  await expect(page.locator('.ticket-head .pill')).toHaveText('open');

  // Then an internal note: the box changes colour and words.
  await page.getByRole('tab', { name: /Internal note/ }).click();
  await expect(page.getByRole('tab', { name: /Internal note/ })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('textbox', { name: 'Internal note, only your team sees it' })).toBeVisible();
  await expect(page.getByText('Visible to your team only.')).toBeVisible();
  await page.getByTestId('composer').fill(noteText);
  await page.getByRole('button', { name: 'Add note' }).click();
  const note = thread.getByTestId('note').filter({ hasText: noteText });
  await expect(note).toBeVisible();
  await expect(note).not.toHaveClass(/pending-send/);
  await expect(note).toHaveClass(/internal/);
  await expect(note.locator('.lock')).toHaveText(/Internal note/);

  // The note looks different from the reply (tinted background, coloured border).
  const look = (element: Element) => {
    const style = getComputedStyle(element);
    return `${style.backgroundColor} ${style.borderColor}`;
  };
  expect(await note.evaluate(look)).not.toEqual(await reply.evaluate(look));

  // Both survive a reload, in order: the customer's message, the reply, the note.
  await page.reload();
  await expect(page.getByTestId('ticket-subject')).toHaveText(subject);
  const texts = await page.getByTestId('thread').locator('article').allInnerTexts();
  expect(texts).toHaveLength(3);
  expect(texts[0]).toContain(body);
  expect(texts[1]).toContain(replyText);
  expect(texts[2]).toContain(noteText);
  await page.screenshot({ path: screenshotPath('agent-ticket') });
});

test('5. the customer sees the reply and never the internal note', async () => {
  const page = customerPage;
  await page.reload();
  await page.getByTestId('request-list').getByRole('link', { name: new RegExp(subject) }).click();
  await expect(page).toHaveURL(new RegExp(`/requests/${ticketId}$`));
  const thread = page.getByTestId('thread');
  await expect(thread).toContainText(replyText);
  await expect(thread.getByRole('article')).toHaveCount(2);
  await expect(page.locator('body')).not.toContainText(noteText);
  await expect(page.locator('body')).not.toContainText(`secret ${RUN}`);
  // No team vocabulary on the customer's side.
  await expect(page.locator('body')).not.toContainText(/internal|assignee/i);
  await page.screenshot({ path: screenshotPath('customer-conversation') });
});

test('6. a solved ticket reopens when the customer writes again', async () => {
  const agentView = agentPage;
  const status = agentView.getByTestId('status-select');
  await expect(status).toHaveValue('open'); // the first reply opened it
  await status.selectOption('solved');
  await expect(status).toHaveValue('solved');
  await expect(agentView.locator('.ticket-head .pill')).toHaveText('solved');
  await agentView.reload();
  await expect(agentView.getByTestId('status-select')).toHaveValue('solved');

  const page = customerPage;
  await page.reload();
  await expect(page.getByTestId('request-status')).toHaveText('Solved');
  await page.getByTestId('composer').fill(followUp);
  await page.getByRole('button', { name: 'Send reply' }).click();
  await expect(page.getByTestId('thread')).toContainText(followUp);
  await expect(page.getByTestId('composer')).toHaveValue('');
  await expect(page.getByTestId('request-status')).toHaveText('Open');

  await agentView.reload();
  await expect(agentView.getByTestId('thread')).toContainText(followUp);
  await expect(agentView.getByTestId('status-select')).toHaveValue('open');
  await expect(agentView.locator('.ticket-head .pill')).toHaveText('open');
});

test('7. another company cannot open the ticket by its address', async () => {
  const page = outsiderPage;
  await signUpCompany(page, outsider);
  await page.goto(`/inbox/${ticketId}`);
  await expect(page.getByText('This ticket does not exist, or you cannot see it.')).toBeVisible();
  await expect(page.locator('body')).not.toContainText(subject);
  await expect(page.locator('body')).not.toContainText(`marzipan${RUN}`);
  await expect(page.getByTestId('ticket-row')).toHaveCount(0);
});
