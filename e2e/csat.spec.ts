// Customer satisfaction: a ticket solved for a customer mails them "How did we do?"; the link's
// page records the one click and takes a comment; the supervisor's dashboard counts it for the
// agent who solved it; and supervisors can turn the surveys off.
import { DEMO, RUN, demoAuth, expect, mailedPath, openDemoTicket, screenshotPath, serverUrl, signInToDemo, test } from './fixtures';

const customer = { name: `Rosa Diaz ${RUN}`, email: `rosa-${RUN}@mail.example` };
const subject = `The blender arrived broken ${RUN}`;

test('a solved ticket asks its customer for a rating, and the dashboard counts it', async ({ page, request, browser }) => {
  const auth = await demoAuth(request, DEMO.agent.email);
  const ticketId = await openDemoTicket(request, auth, {
    subject,
    body: 'The lid is cracked.',
    requester_email: customer.email,
    requester_name: customer.name,
  });
  const solved = await request.patch(`${serverUrl()}/api/v1/tickets/${ticketId}`, {
    headers: { Authorization: auth.Authorization },
    data: { assignee_id: auth.userId, status: 'solved' },
  });
  expect(solved.status()).toBe(200);

  // The customer, in a browser of their own, clicks "Good" in the mail.
  const link = await mailedPath(customer.email, 'How did we do?', /\/rate\/[A-Za-z0-9_-]+\?rating=good/);
  const context = await browser.newContext({ baseURL: serverUrl() });
  const rating = await context.newPage();
  await rating.goto(link);
  await expect(rating.getByRole('heading', { name: 'How did we do?' })).toBeVisible();
  await expect(rating.getByTestId('rated')).toContainText("Good, I'm satisfied");
  await rating.getByLabel('Anything to add? (optional)').fill('Replaced within a day, thank you!');
  await rating.getByRole('button', { name: 'Send comment' }).click();
  await expect(rating.getByTestId('rate-comment')).toHaveText('Replaced within a day, thank you!');
  await rating.screenshot({ path: screenshotPath('csat-rated'), fullPage: true });
  // The "Bad" link of the same mail cannot change it.
  await rating.goto(link.replace('rating=good', 'rating=bad'));
  await expect(rating.getByTestId('rated')).toContainText("Good, I'm satisfied");
  await context.close();

  // The supervisor's dashboard counts it for the agent.
  await signInToDemo(page, DEMO.supervisor.email);
  await page.goto('/dashboard');
  const card = page.getByTestId('csat-card');
  await expect(card).toBeVisible();
  await expect(card.getByTestId('csat-agent-row').filter({ hasText: DEMO.agent.name })).toBeVisible();
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshotPath('csat-dashboard'), fullPage: true });
});

test('an unknown rating link says so in words', async ({ page }) => {
  await page.goto('/rate/not-a-real-token?rating=bad');
  await expect(page.getByRole('alert')).toContainText('This rating link is not valid.');
});

test('a supervisor turns the surveys off and on in the workflow settings', async ({ page }) => {
  await signInToDemo(page, DEMO.supervisor.email);
  await page.goto('/settings/sla');
  const toggle = page.getByTestId('csat-enabled');
  await expect(toggle).toBeChecked();
  await toggle.uncheck();
  await expect(page.getByText('Solved tickets no longer ask for a rating.')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('csat-enabled')).not.toBeChecked();
  await page.getByTestId('csat-enabled').check();
  await expect(page.getByText('Solved tickets now ask their customer for a rating.')).toBeVisible();
});
