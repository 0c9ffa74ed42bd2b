// The widget on a company's own site: a third-party page, served by its own small server on another
// origin (http://localhost:<port>, while Ferrodesk is on 127.0.0.1), embeds the one-tag snippet; a
// visitor writes in; the agent's inbox shows it live; the agent replies and the visitor sees it
// without a reload; with the panel closed the launcher shows an unread badge; a page from an origin
// that is not allowed gets no launcher and cannot frame the widget; a verified identity sees its history.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BrowserProblems, DEMO, RUN, expect, person, png, screenshotPath, serverUrl, signInToDemo, test } from './fixtures';

// crates/api/src/demo/cast.rs
const WORKSPACE = 'demo';
const PASSWORD = 'ferrodesk-demo';
const OWNER = 'olivia@northwind.example';
const AGENT = 'priya@northwind.example';
const CUSTOMER = 'emma.larsen@example.com';
/// One of Emma's demo requests (crates/api/src/demo/script.rs).
const EMMAS_REQUEST = 'Charged twice for my monthly subscription';

const problems = new BrowserProblems();
test.afterEach(() => problems.expectNone());

/// A shop's web server: `/` is a page with the snippet; `/framed` frames the widget directly;
/// `/identified?token=...` signs the visitor in with the token its "backend" made.
async function shop(): Promise<{ server: Server; origin: string }> {
  const ferrodesk = serverUrl();
  const snippet = `<script src="${ferrodesk}/widget.js" data-workspace="${WORKSPACE}" async></script>`;
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    let body: string;
    if (url.pathname === '/framed') {
      body = `<h1>Framing directly</h1><iframe id="direct" src="${ferrodesk}/widget/${WORKSPACE}"></iframe>`;
    } else if (url.pathname === '/identified') {
      const token = JSON.stringify(url.searchParams.get('token') ?? '');
      body = `<h1>Your account</h1><script>window.Ferrodesk = { q: [["identify", ${token}]] };</script>${snippet}`;
    } else {
      body = `<h1>Northwind Coffee shop</h1><p>Beans, grinders, subscriptions.</p>${snippet}`;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head><body>${body}</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://localhost:${port}` };
}

async function ownerToken(request: import('@playwright/test').APIRequestContext): Promise<string> {
  const response = await request.post(`${serverUrl()}/api/v1/auth/login`, {
    data: { workspace_slug: WORKSPACE, email: OWNER, password: PASSWORD },
  });
  expect(response.status()).toBe(200);
  return (await response.json()).access_token;
}

/// Switches the demo workspace's widget on for `origin`, as its owner; the settings before, to put back.
async function enableWidget(request: import('@playwright/test').APIRequestContext, origin: string) {
  const auth = { Authorization: `Bearer ${await ownerToken(request)}` };
  const before = await (await request.get(`${serverUrl()}/api/v1/widget/settings`, { headers: auth })).json();
  const settings = await request.put(`${serverUrl()}/api/v1/widget/settings`, {
    headers: auth,
    data: { enabled: true, allowed_origins: [origin], label: 'Chat with us' },
  });
  expect(settings.status()).toBe(200);
  return { auth, before };
}

/// An HS256 JWT, as the shop's server would sign it with its widget secret.
function identityToken(secret: string, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

test('11. widget: a visitor on a shop page talks with the team live; other origins cannot embed it', async ({ browser, request }) => {
  const allowed = await shop();
  const stranger = await shop();
  const { auth, before } = await enableWidget(request, allowed.origin);

  try {
    // The agent, watching all tickets.
    const agent = await person(browser, problems, 'agent');
    await agent.page.goto('/signin');
    await agent.page.getByLabel('Workspace').fill(WORKSPACE);
    await agent.page.getByLabel('Email').fill(AGENT);
    await agent.page.getByLabel('Password').fill(PASSWORD);
    await agent.page.getByRole('button', { name: 'Sign in' }).click();
    await expect(agent.page).toHaveURL(/\/inbox/);
    await agent.page.getByRole('complementary', { name: 'Navigation' }).getByRole('link', { name: /^All tickets/ }).click();
    await expect(agent.page.getByTestId('live-dot')).toHaveClass(/on/);

    // The visitor, on the shop's page.
    const visitorContext = await browser.newContext();
    const visitor = problems.watch(await visitorContext.newPage(), 'visitor');
    const painted = Date.now();
    await visitor.goto(`${allowed.origin}/`);
    const launcher = visitor.getByRole('button', { name: /Chat with us: support chat/ });
    await expect(launcher).toBeVisible();
    await launcher.click();
    const chat = visitor.frameLocator('iframe[title="Support chat"]');
    await expect(chat.getByLabel('Your name')).toBeVisible();
    console.log(`widget: launcher click to the form painted in ${Date.now() - painted} ms (including the page load)`);

    const subject = `My grinder makes a clicking noise ${RUN}`;
    await chat.getByLabel('Your name').fill('Walter Visitor');
    await chat.getByLabel('Email').fill(`walter.${RUN}@example.com`);
    await chat.getByLabel('Message').fill(`${subject}\nIt started this morning.`);
    await chat.getByRole('button', { name: 'Send' }).click();
    await expect(chat.getByText(/We have your request #\d+/).first()).toBeVisible();
    await visitor.screenshot({ path: screenshotPath('widget-written-in') });

    // Live in the agent's inbox; the agent answers.
    const row = agent.page.getByTestId('ticket-row').filter({ hasText: subject });
    await expect(row).toBeVisible({ timeout: 10_000 });
    await row.click();
    const reply = `Thanks Walter, a small stone is probably stuck in the burrs. (${RUN})`;
    await agent.page.getByTestId('composer').fill(reply);
    const sent = Date.now();
    await agent.page.getByRole('button', { name: 'Send reply' }).click();
    await expect(chat.getByText(reply)).toBeVisible({ timeout: 10_000 });
    console.log(`widget: agent reply to the visitor's screen in ${Date.now() - sent} ms`);

    // The visitor answers back from the widget; the agent sees it.
    await chat.getByLabel('Your reply').fill(`That was it, thanks! (${RUN})`);
    await chat.getByLabel('Your reply').press('Enter');
    await expect(agent.page.getByTestId('reply').filter({ hasText: `That was it, thanks! (${RUN})` })).toBeVisible({ timeout: 10_000 });

    // Closed panel: a reply shows as an unread badge on the launcher; opening clears it.
    await launcher.click();
    await expect(visitor.locator('iframe[title="Support chat"]')).toBeHidden();
    await agent.page.getByTestId('composer').fill(`One more tip: descale monthly. (${RUN})`);
    await agent.page.getByRole('button', { name: 'Send reply' }).click();
    await expect(visitor.getByRole('button', { name: /Chat with us: support chat, 1 unread/ })).toBeVisible({ timeout: 10_000 });
    await visitor.screenshot({ path: screenshotPath('widget-unread') });
    await visitor.getByRole('button', { name: /Chat with us: support chat/ }).click();
    await expect(chat.getByText(`One more tip: descale monthly. (${RUN})`)).toBeVisible();
    await expect(visitor.getByRole('button', { name: /Chat with us: support chat$/ })).toBeVisible();

    // A page from an origin that is not allowed: no launcher, and framing the widget is refused.
    const outsider = problems.watch(await visitorContext.newPage(), 'outsider');
    const refused: string[] = [];
    outsider.on('console', (message) => refused.push(message.text()));
    await outsider.goto(`${stranger.origin}/`);
    await outsider.waitForTimeout(1500);
    await expect(outsider.getByRole('button', { name: /support chat/ })).toHaveCount(0);
    await outsider.goto(`${stranger.origin}/framed`);
    await outsider.waitForTimeout(1500);
    await expect(outsider.frameLocator('#direct').locator('#app')).toHaveCount(0);
    // Chromium reports the refused frame and the refused config fetch on the console.
    problems.take();

    // A verified identity: the shop's server signs a token; the visitor sees the customer's history.
    const rotated = await request.post(`${serverUrl()}/api/v1/widget/secret`, { headers: auth });
    expect(rotated.status()).toBe(200);
    const { secret } = await rotated.json();
    const now = Math.floor(Date.now() / 1000);
    const identity = identityToken(secret, {
      aud: WORKSPACE, email: CUSTOMER, name: 'Emma Larsen', external_id: 'shop-7', iat: now, exp: now + 300,
    });
    const emmaContext = await browser.newContext();
    const emma = problems.watch(await emmaContext.newPage(), 'emma');
    await emma.goto(`${allowed.origin}/identified?token=${encodeURIComponent(identity)}`);
    await emma.getByRole('button', { name: /Chat with us: support chat/ }).click();
    const emmasChat = emma.frameLocator('iframe[title="Support chat"]');
    await expect(emmasChat.getByText(EMMAS_REQUEST)).toBeVisible({ timeout: 10_000 });
    await emma.screenshot({ path: screenshotPath('widget-identified') });
    // The anonymous visitor never saw it.
    await expect(chat.getByText(EMMAS_REQUEST)).toHaveCount(0);

    await agent.context.close();
    await visitorContext.close();
    await emmaContext.close();
  } finally {
    allowed.server.close();
    stranger.server.close();
    // Leave the demo's widget as the seed made it for the other specs.
    await request.put(`${serverUrl()}/api/v1/widget/settings`, {
      headers: auth,
      data: { allowed_origins: before.allowed_origins, label: before.label },
    });
  }
});

test('12. the owner sets up the widget: look, origins, the snippet and a secret shown once; an agent has no such page', async ({ browser, request }) => {
  const token = await ownerToken(request);
  const auth = { Authorization: `Bearer ${token}` };
  const before = await (await request.get(`${serverUrl()}/api/v1/widget/settings`, { headers: auth })).json();
  const owner = await person(browser, problems, 'owner');
  const page = owner.page;
  try {
    await signInToDemo(page, DEMO.owner.email);
    await page.getByRole('link', { name: 'Widget' }).click();
    await expect(page.getByTestId('widget-settings')).toBeVisible();
    await expect(page.getByTestId('widget-snippet')).toContainText(`/widget.js" data-workspace="demo" async></script>`);

    // The look, previewed as it is typed, and saved.
    await page.getByLabel('Launcher text').fill(`Ask Northwind ${RUN}`);
    await expect(page.getByTestId('preview-launcher')).toContainText(`Ask Northwind ${RUN}`);
    await page.getByTestId('widget-origins').fill(`${before.allowed_origins.join('\n')}\nhttps://shop.example`);
    await page.getByTestId('save-widget').click();
    await expect(page.getByText('Widget settings saved.')).toBeVisible();
    const saved = await (await request.get(`${serverUrl()}/api/v1/widget/settings`, { headers: auth })).json();
    expect(saved.label).toBe(`Ask Northwind ${RUN}`);
    expect(saved.allowed_origins).toContain('https://shop.example');

    // A wildcard is refused next to its field, and nothing is stored.
    await page.getByTestId('widget-origins').fill('https://*.shop.example');
    await page.getByTestId('save-widget').click();
    await expect(page.getByText(/wildcard/).first()).toBeVisible();
    const kept = await (await request.get(`${serverUrl()}/api/v1/widget/settings`, { headers: auth })).json();
    expect(kept.allowed_origins).toEqual(saved.allowed_origins);

    // The identity secret: shown once, then only "there is one".
    const rotate = page.getByTestId('widget-secret-button');
    page.once('dialog', (dialog) => dialog.accept());
    await rotate.click();
    const secret = page.getByTestId('widget-secret-value');
    await expect(secret).toHaveValue(/^fdw_[0-9a-f]{64}$/);
    await page.screenshot({ path: screenshotPath('widget-settings'), fullPage: true });
    await page.reload();
    await expect(page.getByTestId('widget-settings')).toBeVisible();
    await expect(page.getByTestId('widget-secret-value')).toHaveCount(0);
    await expect(page.getByTestId('widget-secret-button')).toHaveText('Rotate secret');

    // An agent has no widget settings.
    const agent = await person(browser, problems, 'agent');
    await signInToDemo(agent.page, DEMO.agent.email);
    await expect(agent.page.getByRole('link', { name: 'Widget' })).toHaveCount(0);
    await agent.context.close();
  } finally {
    await request.put(`${serverUrl()}/api/v1/widget/settings`, {
      headers: auth,
      data: { allowed_origins: before.allowed_origins, label: before.label },
    });
    await owner.context.close();
  }
});

test('widget files: a visitor attaches a picture the agent sees, a refused file says why, and the team’s file downloads', async ({ browser, request }) => {
  const allowed = await shop();
  const { auth, before } = await enableWidget(request, allowed.origin);
  const visitorContext = await browser.newContext();

  try {
    const visitor = problems.watch(await visitorContext.newPage(), 'visitor');
    await visitor.goto(`${allowed.origin}/`);
    await visitor.getByRole('button', { name: /Chat with us: support chat/ }).click();
    const chat = visitor.frameLocator('iframe[title="Support chat"]');
    const attach = chat.getByRole('button', { name: 'Attach files' });
    const fileInput = chat.locator('input[type="file"]');
    const chips = chat.locator('.chip');

    // A new visitor has no token to upload with: no Attach on the first message.
    await expect(chat.getByLabel('Your name')).toBeVisible();
    await expect(attach).toHaveCount(0);
    const subject = `Cracked carafe ${RUN}`;
    await chat.getByLabel('Your name').fill('Wanda Visitor');
    await chat.getByLabel('Email').fill(`wanda.${RUN}@example.com`);
    await chat.getByLabel('Message').fill(`${subject}\nThe glass cracked on day one.`);
    const started = visitor.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/widget/${WORKSPACE}/conversations`));
    await chat.getByRole('button', { name: 'Send' }).click();
    const ticketId: string = (await (await started).json()).conversation.id;
    await expect(chat.getByText(/We have your request #\d+/).first()).toBeVisible();

    // In the conversation: a file that is not what its name says is refused in the server's words.
    await expect(attach).toBeVisible();
    await fileInput.setInputFiles({ name: 'receipt.png', mimeType: 'image/png', buffer: Buffer.from('<html><script>alert(1)</script></html>') });
    const refused = chips.filter({ hasText: 'receipt.png' });
    await expect(refused).toHaveAttribute('data-state', 'refused');
    await expect(refused.getByRole('alert')).toContainText('PNG, JPEG, GIF, WebP');
    await visitor.screenshot({ path: screenshotPath('widget-file-refused') });
    await refused.getByRole('button', { name: 'Remove receipt.png' }).click();
    await expect(chips).toHaveCount(0);

    // A real picture: uploaded at once, sent with the reply, shown as a thumbnail.
    const picture = png(40, [200, 60, 40]);
    await fileInput.setInputFiles({ name: 'carafe.png', mimeType: 'image/png', buffer: picture });
    await expect(chips.filter({ hasText: 'carafe.png' })).toHaveAttribute('data-state', 'ready');
    expect(picture.length).toBeLessThan(1024); // one colour packs small
    await expect(chips.filter({ hasText: 'carafe.png' })).toContainText(`${picture.length} B`);
    const text = `Here is a photo of the crack. (${RUN})`;
    await chat.getByLabel('Your reply').fill(text);
    const sent = visitor.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/conversations/${ticketId}/messages`));
    await chat.getByLabel('Your reply').press('Enter');
    expect((await sent).postDataJSON().attachment_ids).toHaveLength(1);
    await expect(chips).toHaveCount(0);
    const image = chat.locator('li.msg').filter({ hasText: text }).getByRole('img', { name: 'carafe.png' });
    // A data: URL: the frame's Content-Security-Policy takes no blob: images.
    await expect(image).toHaveAttribute('src', /^data:image\/png;base64,/);
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(40);
    await visitor.screenshot({ path: screenshotPath('widget-files') });

    // The agent sees the file on the ticket, with the bytes the visitor sent.
    const agentLogin = await request.post(`${serverUrl()}/api/v1/auth/login`, {
      data: { workspace_slug: WORKSPACE, email: AGENT, password: PASSWORD },
    });
    const agentAuth = { Authorization: `Bearer ${(await agentLogin.json()).access_token}` };
    const ticket = await (await request.get(`${serverUrl()}/api/v1/tickets/${ticketId}`, { headers: agentAuth })).json();
    const withFile = ticket.messages.find((m: { body: string }) => m.body === text);
    expect(withFile.attachments).toEqual([expect.objectContaining({ filename: 'carafe.png', content_type: 'image/png', inline: true })]);
    const bytes = await request.get(`${serverUrl()}/api/v1/attachments/${withFile.attachments[0].id}`, { headers: agentAuth });
    expect(Buffer.from(await bytes.body()).equals(picture)).toBe(true);

    // The team answers with a file: it arrives live, and downloads under its name.
    const label = `RETURN LABEL ${RUN}\nNorthwind Returns, Dock 4\n`;
    const uploaded = await request.post(`${serverUrl()}/api/v1/attachments?filename=return-label.txt`, {
      headers: { ...agentAuth, 'Content-Type': 'application/octet-stream' },
      data: Buffer.from(label),
    });
    expect(uploaded.status()).toBe(201);
    const answer = `Sorry about that! Here is a return label. (${RUN})`;
    const replied = await request.post(`${serverUrl()}/api/v1/tickets/${ticketId}/messages`, {
      headers: agentAuth,
      data: { body: answer, internal: false, attachment_ids: [(await uploaded.json()).id] },
    });
    expect(replied.status()).toBe(201);
    const file = chat.locator('li.msg').filter({ hasText: answer }).getByRole('button', { name: /return-label\.txt/ });
    await expect(file).toBeVisible({ timeout: 10_000 });
    const downloading = visitor.waitForEvent('download');
    await file.click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('return-label.txt');
    expect(readFileSync(await download.path()).toString()).toBe(label);

    // A returning visitor has a token: the first message of a new conversation takes files too.
    await chat.getByRole('button', { name: 'All conversations' }).click();
    await chat.getByRole('button', { name: 'New conversation' }).click();
    await fileInput.setInputFiles({ name: 'box.png', mimeType: 'image/png', buffer: png(24, [23, 121, 74]) });
    await expect(chips.filter({ hasText: 'box.png' })).toHaveAttribute('data-state', 'ready');
    const second = `The box is dented too ${RUN}`;
    await chat.getByLabel('Message').fill(second);
    await chat.getByRole('button', { name: 'Send' }).click();
    await expect(chat.getByText(/We have your request #\d+/).first()).toBeVisible();
    const boxImage = chat.locator('li.msg').filter({ hasText: second }).getByRole('img', { name: 'box.png' });
    await expect.poll(() => boxImage.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(24);
  } finally {
    await visitorContext.close();
    allowed.server.close();
    await request.put(`${serverUrl()}/api/v1/widget/settings`, {
      headers: auth,
      data: { allowed_origins: before.allowed_origins, label: before.label },
    });
  }
});
