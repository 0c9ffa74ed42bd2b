// Webhooks in the demo workspace: the owner adds an endpoint (a loopback server of this test;
// global-setup.ts allows local receivers), copies the secret shown once, receives a new ticket's
// event signed the Standard Webhooks way (verified here with node's own HMAC), reads the delivery
// in the log and sends it again from there.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

import { BrowserProblems, DEMO, RUN, expect, person, screenshotPath, serverUrl, signInToDemo, test } from './fixtures';

const problems = new BrowserProblems();

test.afterEach(() => problems.expectNone());

type Received = { headers: IncomingHttpHeaders; body: string };

test('16. the owner connects a webhook and sees its signed deliveries', async ({ browser, request }) => {
  const received: Received[] = [];
  const receiver = createServer((incoming, answer) => {
    let body = '';
    incoming.on('data', (chunk) => (body += chunk));
    incoming.on('end', () => {
      received.push({ headers: incoming.headers, body });
      answer.writeHead(200, { 'content-type': 'text/plain' });
      answer.end('thanks');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  try {
    const { page } = await person(browser, problems, 'owner');
    await signInToDemo(page, DEMO.owner.email);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await expect(page.getByTestId('webhooks')).toBeVisible();

    await page.getByTestId('webhook-url').fill(`http://127.0.0.1:${port}/ferrodesk`);
    await page.getByLabel('Description (optional)').fill(`e2e ${RUN}`);
    await page.getByTestId('add-webhook').click();
    const secret = (await page.getByTestId('webhook-secret-value').innerText()).trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    await page.screenshot({ path: screenshotPath('webhooks-secret-once') });
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await expect(page.getByTestId('webhook-secret')).toHaveCount(0);
    const endpoint = page.getByTestId('webhook-endpoint').filter({ hasText: `127.0.0.1:${port}` });
    await expect(endpoint).toContainText('Active');

    // A ticket arrives through the API, as another tool would open it.
    const login = await request.post(`${serverUrl()}/api/v1/auth/login`, {
      data: { workspace_slug: DEMO.workspace, email: DEMO.owner.email, password: DEMO.password },
    });
    expect(login.status()).toBe(200);
    const { access_token: token } = await login.json();
    const subject = `Webhook check ${RUN}`;
    const created = await request.post(`${serverUrl()}/api/v1/tickets`, {
      headers: { Authorization: `Bearer ${token}` },
      data: { subject, body: 'Opened to see a webhook arrive.', requester_email: `hook-${RUN}@mail.example` },
    });
    expect(created.status()).toBe(201);

    const sent = () => received.filter((one) => one.body.includes(subject) && one.body.includes('"ticket.created"'));
    await expect.poll(() => sent().length, { timeout: 15_000 }).toBeGreaterThan(0);
    const first = sent()[0];
    const id = String(first.headers['webhook-id']);
    const timestamp = String(first.headers['webhook-timestamp']);
    const expected = `v1,${createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
      .update(`${id}.${timestamp}.${first.body}`)
      .digest('base64')}`;
    expect(String(first.headers['webhook-signature']).split(' ')).toContain(expected);
    expect(JSON.parse(first.body).data.ticket.subject).toBe(subject);

    // The log shows it delivered, with the answer; "Send again" sends the same message once more.
    await endpoint.getByTestId('show-deliveries').click();
    const log = page.getByTestId('webhook-deliveries');
    const row = log.getByTestId('webhook-delivery').filter({ hasText: 'ticket.created' }).first();
    await expect
      .poll(async () => {
        await log.getByRole('button', { name: 'Refresh' }).click();
        return (await row.innerText().catch(() => '')).includes('Delivered');
      }, { timeout: 15_000 })
      .toBe(true);
    await expect(row).toContainText('HTTP 200');
    await row.getByText('HTTP 200').click();
    await expect(row).toContainText('thanks');
    await page.screenshot({ path: screenshotPath('webhooks-deliveries') });

    const before = sent().length;
    await row.getByTestId('retry-delivery').click();
    await expect.poll(() => sent().length, { timeout: 15_000 }).toBe(before + 1);
    expect(String(sent()[before].headers['webhook-id'])).toBe(id);
  } finally {
    receiver.close();
  }
});
