/**
 * The page the service serves at / for trying it out: phone-sized, no external resources, the
 * polls written into it. A tap posts the vote as the real page on a CDN would (JSON, an
 * Idempotency-Key per tap, kept for its one retry after a network error, and a voter id kept in
 * localStorage) and shows the service's message as it comes. The key is made with
 * crypto.getRandomValues, which unlike crypto.randomUUID needs no secure context (a plain
 * http:// address is not one).
 */
import type { Poll } from './config.js';

/** JSON inside a <script>: `<` escaped, so no string in it can close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const SCRIPT = `
const polls = JSON.parse(document.getElementById('polls').textContent);
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const newId = () => hex(crypto.getRandomValues(new Uint8Array(16)));
let voter = null;
try { voter = localStorage.getItem('voter') || newId(); localStorage.setItem('voter', voter); } catch { voter = newId(); }
function show(box, ok, text) { box.textContent = text; box.className = ok ? 'message ok' : 'message error'; }
async function post(body, key) {
  const response = await fetch('votes', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': '"' + key + '"' }, body: JSON.stringify(body) });
  const answer = await response.json().catch(() => ({ ok: false, message: 'The server answered ' + response.status + '.' }));
  return { ok: response.status === 202 && answer.ok === true, message: answer.message || 'The server answered ' + response.status + '.' };
}
async function vote(poll, choice, box, buttons) {
  buttons.forEach((button) => { button.disabled = true; });
  show(box, true, 'Sending your vote...');
  const key = newId();
  const body = { poll: poll.id, choice: choice.id, voter };
  try {
    let answer;
    try { answer = await post(body, key); } catch { answer = await post(body, key); }
    show(box, answer.ok, answer.message);
  } catch {
    show(box, false, 'Your vote could not be sent: check your connection and try again.');
  } finally {
    buttons.forEach((button) => { button.disabled = false; });
  }
}
for (const poll of polls) {
  const section = document.createElement('section');
  const title = document.createElement('h2');
  title.textContent = poll.title;
  const box = document.createElement('p');
  box.setAttribute('role', 'status');
  box.className = 'message';
  const buttons = poll.choices.map((choice) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = choice.label;
    button.dataset.choice = choice.id;
    return button;
  });
  buttons.forEach((button, at) => button.addEventListener('click', () => vote(poll, poll.choices[at], box, buttons)));
  section.dataset.poll = poll.id;
  section.append(title, ...buttons, box);
  document.querySelector('main').append(section);
}
`;

/** The page for these polls. */
export function renderPage(polls: readonly Poll[]): string {
  const data = polls.map(({ id, title, choices }) => ({ id, title, choices }));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vote</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 28rem; padding: 1rem; }
button { display: block; width: 100%; margin: 0.5rem 0; padding: 1rem; font-size: 1.2rem; border-radius: 0.5rem; border: 1px solid #888; background: #f4f4f4; }
button:disabled { opacity: 0.5; }
.message { min-height: 1.5em; font-size: 1.1rem; }
.ok { color: #145a14; }
.error { color: #a00000; }
</style>
</head>
<body>
<main><h1>Vote</h1></main>
<script type="application/json" id="polls">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
