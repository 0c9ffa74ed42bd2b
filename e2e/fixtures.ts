// Shared pieces of the suite: the server's address, one browser context per person, and the
// watch that fails a test when the page throws (a broken wasm shows as a `pageerror`), logs an
// error to the console, or gets a 5xx from the server.
import { expect, test as base, type APIRequestContext, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

export { expect };

/// Where global-setup.ts started the server (set before the workers start).
export function serverUrl(): string {
  const url = process.env.FERRODESK_E2E_URL;
  if (!url) throw new Error('FERRODESK_E2E_URL is not set: the global setup did not start the server');
  return url;
}

/// A password long enough for the server's rules (at least 10 characters).
export const PASSWORD = 'correct horse battery staple';

/// Something unique to this run, so names and addresses never collide.
export const RUN = Date.now().toString(36);

/// Console errors that are not the app's fault: Chromium reports every 4xx answer as a failed
/// resource (a signed-out visitor's refresh gets 401, a hidden ticket 404). 5xx answers are
/// caught separately, from the responses themselves.
function expectedConsoleError(text: string): boolean {
  return /^Failed to load resource: the server responded with a status of 4\d\d\b/.test(text);
}

export class BrowserProblems {
  private problems: string[] = [];

  watch(page: Page, who: string): Page {
    page.on('pageerror', (error) => {
      this.problems.push(`${who}: uncaught ${error.name}: ${error.message}\n${error.stack ?? ''}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error' && !expectedConsoleError(message.text())) {
        const where = message.location().url ? ` (${message.location().url})` : '';
        this.problems.push(`${who}: console error: ${message.text()}${where}`);
      }
    });
    page.on('response', (response) => {
      if (response.status() >= 500) {
        this.problems.push(`${who}: ${response.status()} from ${response.request().method()} ${response.url()}`);
      }
    });
    page.on('crash', () => this.problems.push(`${who}: the page crashed`));
    return page;
  }

  /// What went wrong since the last call (and forgets it).
  take(): string[] {
    const seen = this.problems;
    this.problems = [];
    return seen;
  }

  expectNone(): void {
    expect(this.take(), 'errors in the browser (page errors, console errors, 5xx answers)').toEqual([]);
  }
}

/// The path and query of the newest `/link?token=...` mailed to `email` whose subject starts with
/// `subject` (the server writes mail as .eml files without SMTP; the worker sends within moments).
/// Only the path: the link's host is the server's public URL, and tests go through `baseURL`.
export async function mailedLink(email: string, subject: string): Promise<string> {
  return mailedPath(email, subject, /\/link\?token=[A-Za-z0-9_-]+&to=[^\s]*/);
}

/// The first match of `pattern` in the newest mail to `email` whose subject starts with `subject`.
export async function mailedPath(email: string, subject: string, pattern: RegExp): Promise<string> {
  const dir = process.env.FERRODESK_E2E_MAIL_DIR;
  if (!dir) throw new Error('FERRODESK_E2E_MAIL_DIR is not set: the global setup did not start the server');
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = existsSync(dir)
      ? readdirSync(dir)
          .filter((name) => name.endsWith('.eml'))
          .map((name) => {
            const file = path.join(dir, name);
            return { text: readFileSync(file, 'utf8'), at: statSync(file).mtimeMs };
          })
          // Quoted-printable folds long lines and escapes '='.
          .map(({ text, at }) => ({ text: text.replace(/=\r?\n/g, '').replace(/=3D/g, '='), at }))
          .filter(({ text }) => new RegExp(`^To:.*${escapeRegExp(email)}`, 'mi').test(text))
          .filter(({ text }) => new RegExp(`^Subject: ${escapeRegExp(subject)}`, 'mi').test(text))
          .sort((a, b) => b.at - a.at)
      : [];
    const link = found.length ? pattern.exec(found[0].text) : null;
    if (link) return link[0];
    if (Date.now() > deadline) throw new Error(`no "${subject}" mail with a link to ${email} in ${dir}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/// One person in their own browser context (own cookies, own storage), watched for errors.
export async function person(
  browser: Browser,
  problems: BrowserProblems,
  who: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: serverUrl() });
  const page = problems.watch(await context.newPage(), who);
  return { context, page };
}

export function screenshotPath(name: string): string {
  return path.join(__dirname, 'screenshots', `${name}.png`);
}

/// `test` with `baseURL` pointing at the server and a `problems` watch on the default page, checked
/// when each test ends.
export const test = base.extend<{ problems: BrowserProblems }>({
  baseURL: async ({}, use) => {
    await use(serverUrl());
  },
  problems: async ({}, use) => {
    const problems = new BrowserProblems();
    await use(problems);
    problems.expectNone();
  },
  page: async ({ page, problems }, use) => {
    problems.watch(page, 'page');
    await use(page);
  },
});

/// The demo workspace that global-setup.ts seeds (`--demo`; crates/api/src/demo/cast.rs).
export const DEMO = {
  workspace: 'demo',
  password: 'ferrodesk-demo',
  owner: { name: 'Olivia Bennett', email: 'olivia@northwind.example' },
  supervisor: { name: 'Marcus Reid', email: 'marcus@northwind.example' },
  agent: { name: 'Priya Shah', email: 'priya@northwind.example' },
} as const;

/// Signs `email` in to the demo workspace and waits for the inbox.
export async function signInToDemo(page: Page, email: string): Promise<void> {
  await page.goto('/signin');
  await page.getByLabel('Workspace').fill(DEMO.workspace);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/inbox/);
}

/// The `Authorization` header of `email` (the demo owner unless named), signed in to the demo
/// workspace over the API, for a spec that sets up tickets before it opens a browser.
export async function demoAuth(
  request: APIRequestContext,
  email: string = DEMO.owner.email,
): Promise<{ Authorization: string; userId: string }> {
  const login = await request.post(`${serverUrl()}/api/v1/auth/login`, {
    data: { workspace_slug: DEMO.workspace, email, password: DEMO.password },
  });
  expect(login.status()).toBe(200);
  const signedIn = await login.json();
  return { Authorization: `Bearer ${signedIn.access_token}`, userId: signedIn.user.id };
}

/// Opens a ticket in the demo workspace for a customer (made if new), as the one `auth` signs in;
/// its id.
export async function openDemoTicket(
  request: APIRequestContext,
  auth: { Authorization: string },
  ticket: { subject: string; body: string; requester_email: string; requester_name: string },
): Promise<string> {
  const created = await request.post(`${serverUrl()}/api/v1/tickets`, {
    headers: { Authorization: auth.Authorization },
    data: ticket,
  });
  expect(created.status()).toBe(201);
  return (await created.json()).id;
}

function crc32(bytes: Buffer): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/// A real PNG, `size` pixels square, in one colour: enough for the server's sniffing and for the
/// browser to decode (naturalWidth > 0).
export function png(size: number, rgb: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // truecolour
  const row = Buffer.concat([Buffer.from([0]), Buffer.concat(Array.from({ length: size }, () => Buffer.from(rgb)))]);
  const pixels = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
