// Starts target/release/ferrodesk on 127.0.0.1 with a free port (port 0, read back from its log),
// a fresh data folder (so a fresh SQLite database) and the demo workspace, waits until /readyz
// answers, and hands the address to the tests in FERRODESK_E2E_URL. Billing is on, against the
// loopback Stripe of the API tests (crates/api/tests/support/stripe_fake.py), whose hosted Checkout
// and Portal pages the browser visits and whose signed webhooks reach the server. The returned
// function is the global teardown: it stops both and removes the data folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const binary = path.join(root, 'target', 'release', 'ferrodesk');
const webDir = path.join(root, 'crates', 'web', 'dist');
const logFile = path.join(__dirname, 'test-results', 'server.log');

const STARTUP_SECONDS = 120; // migrations plus the demo seed (argon2 for every demo person)
const STOP_SECONDS = 15;

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: run \`cargo build --release --locked -p ferrodesk\` (scripts/e2e does)`);
  }
  if (!existsSync(path.join(webDir, 'index.html'))) {
    throw new Error(`${webDir}/index.html is missing: run \`bash scripts/build-web\` (scripts/e2e does)`);
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ferrodesk-e2e-'));
  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile);

  const stripe = await startStripeFake();
  const server = spawn(binary, ['--demo'], {
    cwd: root,
    env: {
      ...process.env,
      FERRODESK_ADDR: '127.0.0.1:0',
      FERRODESK_DATA_DIR: dataDir,
      FERRODESK_WEB_DIR: webDir,
      FERRODESK_AUTH_BURST: '10000',
      // webhooks.spec.ts receives webhooks on a loopback server of its own.
      FERRODESK_WEBHOOKS_ALLOW_LOCAL: '1',
      FERRODESK_LOG_FORMAT: 'json',
      DATABASE_URL: '',
      FERRODESK_PUBLIC_URL: '',
      FERRODESK_JWT_SECRET: '',
      FERRODESK_DEMO: '',
      STRIPE_SECRET_KEY: 'sk_test_e2e',
      STRIPE_WEBHOOK_SECRET: STRIPE_WEBHOOK_SECRET,
      STRIPE_PRICE_PRO: 'price_pro',
      STRIPE_API_BASE: stripe.url,
      RUST_LOG: 'info,sqlx=warn,sea_orm=warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let exited: string | undefined;
  server.on('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  const address = new Promise<string>((resolve) => {
    let pending = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        const match = /"message":"ferrodesk is listening".*?"address":"(http:\/\/[^"]+)"/.exec(line)
          ?? /"address":"(http:\/\/[^"]+)".*?"message":"ferrodesk is listening"/.exec(line);
        if (match) resolve(match[1]);
      }
    });
  });
  server.stdout!.pipe(log);
  server.stderr!.pipe(log);

  const stop = async () => {
    stripe.process.kill('SIGTERM');
    await stopServer(server, () => exited !== undefined);
    log.end();
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const url = await withDeadline(address, STARTUP_SECONDS, () => exited, 'to say where it listens');
    await waitUntilReady(url, () => exited);
    process.env.FERRODESK_E2E_URL = url;
    process.env.FERRODESK_E2E_STRIPE_URL = stripe.url;
    await fetch(`${stripe.url}/_fake/config`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ webhook_url: `${url}/api/v1/billing/webhook` }),
    });
    // Without SMTP the server writes each mail as an .eml file here; tests read the links in them.
    process.env.FERRODESK_E2E_MAIL_DIR = path.join(dataDir, 'mail');
    console.log(`ferrodesk is ready at ${url} (data in ${dataDir}, log in ${path.relative(root, logFile)})`);
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}

const STRIPE_WEBHOOK_SECRET = 'whsec_e2e';

/// The loopback Stripe on a free port: `ready <port>` on its first line.
async function startStripeFake(): Promise<{ url: string; process: ChildProcess }> {
  const fake = spawn('python3', [
    path.join(root, 'crates', 'api', 'tests', 'support', 'stripe_fake.py'),
    '--port', '0', '--webhook-secret', STRIPE_WEBHOOK_SECRET,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Its request log goes to the server's log file's neighbour, never into a pipe nobody reads.
  fake.stderr!.pipe(createWriteStream(path.join(path.dirname(logFile), 'stripe.log')));
  const port = await new Promise<string>((resolve, reject) => {
    let pending = '';
    fake.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const match = /^ready (\d+)$/m.exec(pending);
      if (match) resolve(match[1]);
    });
    fake.on('exit', (code) => reject(new Error(`the Stripe fake exited with ${code}`)));
    setTimeout(() => reject(new Error('the Stripe fake did not start in 15 s')), 15_000);
  });
  return { url: `http://127.0.0.1:${port}`, process: fake };
}

async function withDeadline<T>(
  promise: Promise<T>,
  seconds: number,
  exited: () => string | undefined,
  what: string,
): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let done = false;
  let value: T | undefined;
  promise.then((result) => {
    done = true;
    value = result;
  });
  while (!done) {
    if (exited()) throw new Error(`ferrodesk ${exited()} before it started; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`ferrodesk did not start ${what} within ${seconds} s; see ${logFile}`);
    await sleep(100);
  }
  return value as T;
}

/// /readyz answers once the HTTP server runs, which is after the demo seed.
async function waitUntilReady(url: string, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + STARTUP_SECONDS * 1000;
  for (;;) {
    if (exited()) throw new Error(`ferrodesk ${exited()} while starting; see ${logFile}`);
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url}/readyz did not answer within ${STARTUP_SECONDS} s; see ${logFile}`);
    await sleep(250);
  }
}

async function stopServer(server: ChildProcess, exited: () => boolean): Promise<void> {
  if (exited()) return;
  server.kill('SIGTERM');
  const deadline = Date.now() + STOP_SECONDS * 1000;
  while (!exited() && Date.now() < deadline) await sleep(100);
  if (!exited()) {
    server.kill('SIGKILL');
    const hardDeadline = Date.now() + 5000;
    while (!exited() && Date.now() < hardDeadline) await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
