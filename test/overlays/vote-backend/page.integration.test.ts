/**
 * The service's trial page in Debian's Chromium, headless, on a phone-sized screen: a tap on a
 * choice shows the service's success message, a tap in a closed poll its error message.
 * playwright-core drives the browser the host has (never a downloaded one) on a fresh profile.
 * No database: a vote answered 202 is in the journal, which is all the page is told.
 */
import { chromium, type BrowserContext } from 'playwright-core';
import { join } from 'node:path';
import { freePort } from '../../helpers/guest.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testNeeding } from '../../helpers/tools.js';
import { DATABASE } from './helpers/vote-table.js';
import { FINAL_POLL, startVoteService } from './helpers/vote-service.js';

const CHROMIUM = '/usr/bin/chromium';
const test = testNeeding({ tools: { chromium: 'chromium' } });

const CLOSED_POLL = { id: 'last-year', title: 'Last year\'s final', choices: [{ id: 'x', label: 'X-ray' }, { id: 'y', label: 'Yankee' }], closesAt: '2020-01-01T00:00:00Z' };
/** A phone's screen in CSS pixels. */
const PHONE = { width: 390, height: 844 };

async function openBrowser(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    timeout: 60_000,
  });
}

test('in Chromium on a phone-sized screen a tap on a choice shows the success message, and a tap in a closed poll shows why the vote was refused', async (t) => {
  const dir = await makeTempDir(t, 'vote-page-');
  const service = await startVoteService(t, {
    dir,
    database: { endpoints: [{ host: '127.0.0.1', port: await freePort() }], ...DATABASE, connectTimeoutMs: 1000 },
    config: { workers: 1, polls: [FINAL_POLL, CLOSED_POLL] },
  });
  const browser = await openBrowser(join(dir, 'chromium-profile'));
  t.teardown(() => browser.close());
  const page = browser.pages()[0] ?? await browser.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(`${service.url}/`);

  // a string: the project compiles without the DOM's types
  t.true(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth'), 'the page is wider than the phone\'s screen');
  const open = page.locator('section[data-poll="final"]');
  await open.getByRole('button', { name: 'Bravo' }).tap();
  const success = open.locator('.message.ok', { hasText: 'Thank you' });
  await success.waitFor();
  t.is(await success.textContent(), 'Thank you! Your vote for Bravo is in.');
  t.is(await service.metric('accepted_total'), 1);
  t.is(await service.metric('journal_pending_votes'), 1);

  const closed = page.locator('section[data-poll="last-year"]');
  await closed.getByRole('button', { name: 'Yankee' }).tap();
  const refusal = closed.locator('.message.error');
  await refusal.waitFor();
  t.is(await refusal.textContent(), 'voting in "Last year\'s final" is closed');
  t.is(await service.metric('rejected_total{reason="poll_closed"}'), 1);
  t.is(await service.metric('accepted_total'), 1);
  await service.stop();
});
