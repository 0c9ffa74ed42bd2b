// Files on messages: an agent attaches an image and a text file to a reply and the thread shows a
// thumbnail and a download; a file whose bytes are not what its name says is refused in words and
// not sent; a customer sees the team's file in their request, downloads it under its name, and
// attaches a picture of their own, to a reply and to a new request; a message the server refuses
// says why in the server's words and keeps what was written.
import type { APIRequestContext, Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { BrowserProblems, DEMO, RUN, expect, person, png, screenshotPath, serverUrl, signInToDemo, test } from './fixtures';

const CUSTOMER = { name: 'Emma Larsen', email: 'emma.larsen@example.com' }; // crates/api/src/demo/cast.rs

async function token(request: APIRequestContext, email: string): Promise<string> {
  const login = await request.post(`${serverUrl()}/api/v1/auth/login`, {
    data: { workspace_slug: DEMO.workspace, email, password: DEMO.password },
  });
  expect(login.status()).toBe(200);
  return (await login.json()).access_token;
}

/// A fresh request from the demo customer, so each test has a ticket of its own.
async function customerRequest(request: APIRequestContext, subject: string): Promise<string> {
  const headers = { Authorization: `Bearer ${await token(request, CUSTOMER.email)}` };
  const opened = await request.post(`${serverUrl()}/api/v1/tickets`, {
    headers,
    data: { subject, body: 'The parcel arrived damaged. What should I send you?' },
  });
  expect(opened.status()).toBe(201);
  return (await opened.json()).id;
}

async function signInAsCustomer(page: Page): Promise<void> {
  await page.goto('/signin');
  await page.getByLabel('Workspace').fill(DEMO.workspace);
  await page.getByLabel('Email').fill(CUSTOMER.email);
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/requests$/);
}

/// Sends `attachment_ids` of a file nobody uploaded in place of the ones the page sends, for
/// requests to `url`: what the server answers when the files are not the sender's own unsent ones.
async function swapAttachments(page: Page, url: RegExp): Promise<void> {
  await page.route(url, async (route) => {
    if (route.request().method() !== 'POST') return route.fallback();
    const body = route.request().postDataJSON();
    await route.continue({ postData: JSON.stringify({ ...body, attachment_ids: [randomUUID()] }) });
  });
}

const NOT_YOURS = 'must be files you uploaded and have not sent with another message'; // crates/api/src/tickets/service.rs

async function openAsAgent(page: Page, ticketId: string, subject: string): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signInToDemo(page, DEMO.agent.email);
  await page.goto(`/inbox/${ticketId}?view=all`);
  await expect(page.getByTestId('ticket-subject')).toHaveText(subject);
}

async function expectThumbnail(message: ReturnType<Page['getByTestId']>): Promise<void> {
  const image = message.getByTestId('attachment-image').locator('img');
  // A data: URL, as the app's Content-Security-Policy allows for images (not blob:).
  await expect(image).toHaveAttribute('src', /^data:image\/png;base64,/);
  await expect(message.getByTestId('attachment-image')).toHaveAttribute('href', /^blob:/);
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
}

test('an agent attaches an image and a text file to a reply, and the thread shows both', async ({ page, request }) => {
  const subject = `Damaged parcel, photos ${RUN}`;
  const ticketId = await customerRequest(request, subject);
  await openAsAgent(page, ticketId, subject);

  await page.getByTestId('attach-input').setInputFiles([
    { name: 'parcel.png', mimeType: 'image/png', buffer: png(48, [52, 81, 209]) },
    { name: 'steps.txt', mimeType: 'text/plain', buffer: Buffer.from(`1. Keep the box.\n2. Print the label. ${RUN}\n`) },
  ]);
  const chips = page.getByTestId('attach-chip');
  await expect(chips).toHaveCount(2);
  await expect(chips.filter({ hasText: 'parcel.png' })).toHaveAttribute('data-state', 'ready');
  await expect(chips.filter({ hasText: 'steps.txt' })).toHaveAttribute('data-state', 'ready');

  const text = `Here is what we see, and the steps. (files ${RUN})`;
  await page.getByTestId('composer').fill(text);
  const sent = page.waitForRequest((req) => req.method() === 'POST' && req.url().endsWith(`/tickets/${ticketId}/messages`));
  await page.getByRole('button', { name: 'Send reply' }).click();
  expect((await sent).postDataJSON().attachment_ids).toHaveLength(2);
  // Sent: the chips are gone, and the message carries the files.
  await expect(chips).toHaveCount(0);
  const message = page.getByTestId('reply').filter({ hasText: text });
  await expect(message).not.toContainText('Sending…');
  await expectThumbnail(message);
  await expect(message.getByTestId('attachment-file')).toContainText('steps.txt');

  // From the server after a reload, not only the optimistic copy.
  await page.reload();
  await expect(page.getByTestId('ticket-subject')).toHaveText(subject);
  await expectThumbnail(message);
  await expect(message.getByTestId('attachment-file')).toContainText('steps.txt');
  await message.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshotPath('attachments-thread') });
});

test('a file that is not what its name says is refused in words and not sent; five is the most', async ({ page, request }) => {
  const subject = `Invoice question ${RUN}`;
  const ticketId = await customerRequest(request, subject);
  await openAsAgent(page, ticketId, subject);

  await page.getByTestId('attach-input').setInputFiles({
    name: 'invoice.png',
    mimeType: 'image/png',
    buffer: Buffer.from('<!doctype html><html><body><script>alert(1)</script>Invoice</body></html>'),
  });
  const chips = page.getByTestId('attach-chip');
  const refused = chips.filter({ hasText: 'invoice.png' });
  await expect(refused).toHaveAttribute('data-state', 'refused');
  // The server's words, saying what is accepted.
  await expect(refused.getByRole('alert')).toContainText('PNG, JPEG, GIF, WebP');

  const text = `Your invoice is on its way by mail. (no file ${RUN})`;
  await page.getByTestId('composer').fill(text);
  const sent = page.waitForRequest((req) => req.method() === 'POST' && req.url().endsWith(`/tickets/${ticketId}/messages`));
  await page.getByRole('button', { name: 'Send reply' }).click();
  // An empty list is left out of the body.
  expect((await sent).postDataJSON().attachment_ids ?? []).toEqual([]);
  await expect(chips).toHaveCount(0);
  const message = page.getByTestId('reply').filter({ hasText: text });
  await expect(message).not.toContainText('Sending…');
  await expect(message.getByTestId('attachments')).toHaveCount(0);

  // Five files fill a message: "Attach" turns off and says why; removing one turns it back on.
  const attach = page.getByTestId('attach');
  await page.getByTestId('attach-input').setInputFiles(
    [1, 2, 3, 4, 5].map((n) => ({ name: `part-${n}.txt`, mimeType: 'text/plain', buffer: Buffer.from(`part ${n} ${RUN}\n`) })),
  );
  await expect(chips.and(page.locator('[data-state="ready"]'))).toHaveCount(5);
  await expect(attach).toBeDisabled();
  await expect(attach).toHaveAttribute('title', /at most 5 files/);
  await expect(page.getByText('5 files is the most one message can carry.')).toBeVisible();
  await chips.filter({ hasText: 'part-5.txt' }).getByRole('button', { name: 'Remove part-5.txt' }).click();
  await expect(chips).toHaveCount(4);
  await expect(attach).toBeEnabled();
});

test('a customer downloads the team’s file in their request and attaches a picture', async ({ browser, request }) => {
  const subject = `Return label please ${RUN}`;
  const ticketId = await customerRequest(request, subject);
  const label = `RETURN LABEL ${RUN}\nNorthwind Returns, Dock 4\n`;
  const agentHeaders = { Authorization: `Bearer ${await token(request, DEMO.agent.email)}` };
  const uploaded = await request.post(`${serverUrl()}/api/v1/attachments?filename=return-label.txt`, {
    headers: { ...agentHeaders, 'Content-Type': 'application/octet-stream' },
    data: Buffer.from(label),
  });
  expect(uploaded.status()).toBe(201);
  const replyText = `Here is your return label. (label ${RUN})`;
  const replied = await request.post(`${serverUrl()}/api/v1/tickets/${ticketId}/messages`, {
    headers: agentHeaders,
    data: { body: replyText, internal: false, attachment_ids: [(await uploaded.json()).id] },
  });
  expect(replied.status()).toBe(201);

  const problems = new BrowserProblems();
  const customer = await person(browser, problems, 'customer');
  const page = customer.page;
  await page.goto('/signin');
  await page.getByLabel('Workspace').fill(DEMO.workspace);
  await page.getByLabel('Email').fill(CUSTOMER.email);
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/requests$/);
  await page.goto(`/requests/${ticketId}`);
  await expect(page.getByTestId('request-subject')).toHaveText(subject);

  const answer = page.getByTestId('reply').filter({ hasText: replyText });
  const file = answer.getByTestId('attachment-file');
  await expect(file).toContainText('return-label.txt');
  const downloading = page.waitForEvent('download');
  await file.click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('return-label.txt');
  expect(readFileSync(await download.path()).toString()).toBe(label);

  // The customer's own reply box takes files too.
  await page.getByTestId('attach-input').setInputFiles({ name: 'box.png', mimeType: 'image/png', buffer: png(32, [23, 121, 74]) });
  await expect(page.getByTestId('attach-chip')).toHaveAttribute('data-state', 'ready');
  const mine = `A photo of the box. (photo ${RUN})`;
  await page.getByTestId('composer').fill(mine);
  await page.getByRole('button', { name: 'Send reply' }).click();
  await expect(page.getByTestId('attach-chip')).toHaveCount(0);
  await expectThumbnail(page.getByTestId('reply').filter({ hasText: mine }));
  await page.screenshot({ path: screenshotPath('attachments-portal') });

  await customer.context.close();
  problems.expectNone();
});

test('a customer attaches a picture to a new request, and the request shows it', async ({ page, request }) => {
  await signInAsCustomer(page);
  await page.getByRole('link', { name: 'New request' }).click();
  await expect(page).toHaveURL(/\/requests\/new$/);

  const subject = `Scratched lens ${RUN}`;
  const text = `The lens arrived scratched, see the photo. (new request ${RUN})`;
  await page.getByLabel('Subject').fill(subject);
  await page.getByLabel('Tell us more').fill(text);
  await page.getByTestId('attach-input').setInputFiles({ name: 'lens.png', mimeType: 'image/png', buffer: png(40, [190, 60, 40]) });
  const chip = page.getByTestId('attach-chip');
  await expect(chip).toHaveAttribute('data-state', 'ready');
  await expect(chip).toContainText('lens.png');

  const sent = page.waitForRequest((req) => req.method() === 'POST' && /\/api\/v1\/tickets$/.test(req.url()));
  await page.getByRole('button', { name: 'Send request' }).click();
  expect((await sent).postDataJSON().attachment_ids).toHaveLength(1);
  await expect(page).toHaveURL(/\/requests\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('request-subject')).toHaveText(subject);
  const first = page.getByTestId('reply').first();
  await expect(first).toContainText(text);
  await expectThumbnail(first);
  await page.screenshot({ path: screenshotPath('attachments-new-request') });

  // What the team gets: the first message carries the file.
  const ticketId = page.url().split('/').pop();
  const agentHeaders = { Authorization: `Bearer ${await token(request, DEMO.agent.email)}` };
  const detail = await request.get(`${serverUrl()}/api/v1/tickets/${ticketId}`, { headers: agentHeaders });
  expect(detail.status()).toBe(200);
  const messages = (await detail.json()).messages;
  expect(messages[0].body).toBe(text);
  expect(messages[0].attachments).toHaveLength(1);
  expect(messages[0].attachments[0]).toMatchObject({ filename: 'lens.png', content_type: 'image/png', inline: true });
});

test('a new request leaves a refused file behind, and says in words when the server refuses its files', async ({ page }) => {
  await signInAsCustomer(page);
  await page.goto('/requests/new');
  const subject = `Broken charger ${RUN}`;
  const text = `The charger stopped working after a week. (refused file ${RUN})`;
  await page.getByLabel('Subject').fill(subject);
  await page.getByLabel('Tell us more').fill(text);

  // Not an image, whatever its name says: refused in the server's words, and not sent.
  await page.getByTestId('attach-input').setInputFiles({
    name: 'receipt.png',
    mimeType: 'image/png',
    buffer: Buffer.from('<!doctype html><html><body><script>alert(1)</script>Receipt</body></html>'),
  });
  const refused = page.getByTestId('attach-chip').filter({ hasText: 'receipt.png' });
  await expect(refused).toHaveAttribute('data-state', 'refused');
  await expect(refused.getByRole('alert')).toContainText('PNG, JPEG, GIF, WebP');
  await page.getByTestId('attach-input').setInputFiles({ name: 'charger.png', mimeType: 'image/png', buffer: png(24, [90, 90, 90]) });
  await expect(page.getByTestId('attach-chip').filter({ hasText: 'charger.png' })).toHaveAttribute('data-state', 'ready');

  // The server refuses the files: its words, at the files, and nothing written is lost.
  await swapAttachments(page, /\/api\/v1\/tickets$/);
  await page.getByRole('button', { name: 'Send request' }).click();
  await expect(page.getByRole('alert').filter({ hasText: NOT_YOURS })).toHaveText(
    'Must be files you uploaded and have not sent with another message.',
  );
  await expect(page).toHaveURL(/\/requests\/new$/);
  await expect(page.getByLabel('Subject')).toHaveValue(subject);
  await expect(page.getByLabel('Tell us more')).toHaveValue(text);
  await expect(page.getByTestId('attach-chip')).toHaveCount(2);

  // Sent again as it is: only the file that uploaded goes with it.
  await page.unroute(/\/api\/v1\/tickets$/);
  const sent = page.waitForRequest((req) => req.method() === 'POST' && /\/api\/v1\/tickets$/.test(req.url()));
  await page.getByRole('button', { name: 'Send request' }).click();
  expect((await sent).postDataJSON().attachment_ids).toHaveLength(1);
  await expect(page.getByTestId('request-subject')).toHaveText(subject);
  const first = page.getByTestId('reply').first();
  await expectThumbnail(first);
  await expect(first.getByRole('img')).toHaveCount(1);
  await expect(first.getByRole('img', { name: 'charger.png' })).toBeVisible();
});

test('a reply the server refuses says why in its words, keeps its text and files, and sends on retry', async ({ page, request }) => {
  const subject = `Wrong size ${RUN}`;
  const ticketId = await customerRequest(request, subject);
  await openAsAgent(page, ticketId, subject);

  await page.getByTestId('attach-input').setInputFiles({ name: 'size-chart.png', mimeType: 'image/png', buffer: png(32, [30, 140, 200]) });
  await expect(page.getByTestId('attach-chip')).toHaveAttribute('data-state', 'ready');
  const text = `Here is our size chart. (refused reply ${RUN})`;
  await page.getByTestId('composer').fill(text);
  const messages = new RegExp(`/tickets/${ticketId}/messages$`);
  await swapAttachments(page, messages);
  await page.getByRole('button', { name: 'Send reply' }).click();

  const message = page.getByTestId('reply').filter({ hasText: text });
  const notSent = message.getByTestId('not-sent');
  await expect(notSent).toContainText(`Not sent. Some fields need another look. Files: ${NOT_YOURS}.`);
  await expectThumbnail(message);

  // Nothing was lost: once the cause is gone, "Retry" sends the same text and file.
  await page.unroute(messages);
  await notSent.getByRole('button', { name: 'Retry' }).click();
  await expect(notSent).toHaveCount(0);
  await expect(message).not.toContainText('Sending…');
  await page.reload();
  await expect(page.getByTestId('ticket-subject')).toHaveText(subject);
  await expectThumbnail(page.getByTestId('reply').filter({ hasText: text }));
});
