// Sign-up and sign-in refusals said in sentences beside the field they are about, built from the
// server's machine-readable error (its code and per-field reasons): a weak password at the
// password, a workspace address someone else has at the address, each field marked invalid and
// its sentence read with it (aria-describedby). What is about no field stays in the form's banner.
import { DEMO, PASSWORD, RUN, expect, screenshotPath, test } from './fixtures';

test('sign-up: a weak password and a taken workspace address are each said beside their field', async ({ page }) => {
  await page.goto('/signup');
  await page.getByLabel('Company').fill(`Weak Co ${RUN}`);
  await page.getByLabel('Your name').fill('Wendy Weak');
  await page.getByLabel('Work email').fill(`wendy.${RUN}@weak.example`);
  const address = page.getByLabel('Workspace address');
  const password = page.getByLabel('Password');
  const create = page.getByRole('button', { name: 'Create workspace' });

  // Too short: the rule, as what to do.
  await password.fill('short');
  await create.click();
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#field-password-error')).toHaveText(
    'Use at least 10 characters. A few uncommon words make a strong password.',
  );
  await expect(password).toHaveAccessibleDescription(/Use at least 10 characters\./);

  // Long enough but common: the server's strength verdict, as a sentence.
  await password.fill('password1234');
  await create.click();
  const weak = page.locator('#field-password-error');
  await expect(weak).toHaveText(/^This password is too easy to guess.*\. Use a few uncommon words, not a common password or your name or email\.$/);
  await expect(password).toHaveAccessibleDescription(/This password is too easy to guess/);
  await expect(address).toHaveAttribute('aria-invalid', 'false');
  // Every reason is at its field: the banner has nothing to add.
  await expect(page.getByTestId('form-error')).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('signup-weak-password') });

  // A strong password, and the demo's address: taken, said at the address.
  await address.fill(DEMO.workspace);
  await password.fill(PASSWORD);
  await create.click();
  const taken = page.locator('#field-workspace_slug-error');
  await expect(taken).toHaveText('This workspace address is taken. Try another.');
  await expect(address).toHaveAttribute('aria-invalid', 'true');
  await expect(address).toHaveAccessibleDescription(/This workspace address is taken\. Try another\./);
  await expect(password).toHaveAttribute('aria-invalid', 'false');
  await expect(page.locator('#field-password-error')).toHaveCount(0);
  await expect(page.getByTestId('form-error')).toHaveCount(0);
  await expect(page).toHaveURL(/\/signup$/);
  await page.screenshot({ path: screenshotPath('signup-taken-address') });

  // Another address goes through.
  await address.fill(`weak-co-${RUN}`);
  await create.click();
  await expect(page).toHaveURL(/\/inbox\?view=open$/);
});

test('sign-in: an empty field is named beside it; wrong credentials stay in the banner', async ({ page }) => {
  await page.goto('/signin');
  const workspace = page.getByLabel('Workspace');
  const email = page.getByLabel('Email');
  const password = page.getByLabel('Password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(workspace).toHaveAttribute('aria-invalid', 'true');
  await expect(workspace).toHaveAccessibleDescription(/Enter your workspace's address, like acme\./);
  await expect(email).toHaveAccessibleDescription('Enter the email address you signed up with.');
  await expect(password).toHaveAccessibleDescription('Enter your password.');
  await expect(page.getByTestId('form-error')).toHaveCount(0);

  // Which of the three was wrong is not for the server to tell: the banner says it, no field does.
  await workspace.fill(DEMO.workspace);
  await email.fill(`nobody.${RUN}@northwind.example`);
  await password.fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('form-error')).toHaveText('Wrong workspace, email or password.');
  for (const field of [workspace, email, password]) await expect(field).toHaveAttribute('aria-invalid', 'false');
});
