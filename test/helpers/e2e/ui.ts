// Steps through the dashboard as a user does: by labels, roles and visible text.
import type { Page } from 'playwright-core';

/** Waits until the page has nothing loading: no spinner, no busy region. */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('.loading, [aria-busy="true"]'), null, { timeout: 15_000 });
}

export async function login(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Logs in and lands on the overview (the password must already be the user's own). */
export async function loginToOverview(page: Page, base: string, username: string, password: string): Promise<void> {
  await login(page, base, username, password);
  await page.locator('nav[aria-label="Main"]').waitFor();
  await settled(page);
}

/** Answers the forced first-login password change. */
export async function changePasswordAtFirstLogin(page: Page, current: string, next: string): Promise<void> {
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  await page.getByLabel('Current (one-time) password').fill(current);
  await page.getByLabel('New password', { exact: true }).fill(next);
  await page.getByLabel('New password, again').fill(next);
  await page.getByRole('button', { name: 'Set new password' }).click();
}

/** A user's first login: the password someone else set, then their own, then the overview. */
export async function firstLogin(page: Page, base: string, username: string, initial: string, own: string): Promise<void> {
  await login(page, base, username, initial);
  await changePasswordAtFirstLogin(page, initial, own);
  await page.locator('nav[aria-label="Main"]').waitFor();
  await settled(page);
}

export async function goTo(page: Page, path: string): Promise<void> {
  await page.locator(`nav[aria-label="Main"] a[data-page="${path}"]`).click();
  await page.locator(`.page[data-page="${path}"]`).waitFor();
  await settled(page);
}

/** Words on buttons that change state: a viewer must see none of them. */
export const WRITE_WORDS = /^(create|add|new|save|delete|remove|revoke|deregister|move|transfer|reset|reinstate|rename|tags|sync now|export|import|register|reserve|return|set|edit|roles)\b/i;

/**
 * Visible controls that would change something. The browser-side code is a string: a function
 * handed to evaluate() would carry the TypeScript loader's helpers (`__name`) into the page.
 */
export async function writeControls(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const re = new RegExp(${JSON.stringify(WRITE_WORDS.source)}, 'i');
    const visible = (el) => el.getClientRects().length > 0;
    const out = [];
    for (const el of document.querySelectorAll('[data-write]')) if (visible(el)) out.push('[data-write] ' + el.tagName + ' ' + (el.textContent || '').trim().slice(0, 40));
    for (const el of document.querySelectorAll('main button, main input[type=file]')) {
      const text = (el.textContent || '').trim();
      if (visible(el) && (re.test(text) || el.matches('input[type=file]'))) out.push(el.tagName + ' ' + (text || el.getAttribute('name')));
    }
    return out;
  })()`);
}
