import test from 'ava';
import { renderPage } from '../../../../overlays/vote-backend/app/page.js';
import { testConfig } from './fixtures.js';

test('the page is phone-sized, self-contained, and carries the polls as JSON', (t) => {
  const html = renderPage(testConfig().polls);
  t.regex(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  t.notRegex(html, /<(link|img)\b|src=|https?:\/\//, 'no external resources');
  const json = /<script type="application\/json" id="polls">(.*)<\/script>/.exec(html)?.[1];
  t.deepEqual(JSON.parse(json!), [
    { id: 'show', title: 'Best show', choices: [{ id: 'a', label: 'Alpha' }, { id: 'b', label: 'Beta' }] },
    { id: 'always', title: 'Always open', choices: [{ id: 'x', label: 'Ex' }] },
  ]);
});

test('a title or label with markup cannot close the script element it is written into', (t) => {
  const [poll] = testConfig({ polls: [{ id: 'p', title: '</script><script>alert(1)</script>', choices: [{ id: 'a', label: '<!-- <b>' }] }] }).polls;
  const html = renderPage([poll!]);
  t.is(html.split('</script>').length - 1, 2, 'only the page\'s own two script elements end');
  t.false(html.includes('<!--'));
  const json = /<script type="application\/json" id="polls">(.*?)<\/script>/.exec(html)?.[1];
  t.is((JSON.parse(json!) as { title: string }[])[0]!.title, '</script><script>alert(1)</script>');
});

test('the page posts JSON with a quoted Idempotency-Key and shows the service\'s message', (t) => {
  const html = renderPage(testConfig().polls);
  t.regex(html, /'Content-Type': 'application\/json', 'Idempotency-Key': '"' \+ key \+ '"'/);
  t.regex(html, /show\(box, answer\.ok, answer\.message\)/);
});
