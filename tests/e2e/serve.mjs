// Serves dist/ on localhost under a sub-path, as GitHub Pages would, to prove relative URLs
// work; and launches the machine's Chromium. Shared by the end-to-end tests and the
// thumbnail generator.
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'dist');
const types = {
  '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css',
  '.svg': 'image/svg+xml', '.jpg': 'image/jpeg',
};
const BASE = '/kube-playground/';

/// Starts the server (of `dir`, dist/ by default); resolves to { origin, close }.
export async function serve(dir = dist) {
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!url.startsWith(BASE)) { res.writeHead(404); res.end(); return; }
    let file = path.join(dir, url.slice(BASE.length) || 'index.html');
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(dir, 'index.html');
    res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${server.address().port}${BASE}`, close: () => server.close() };
}

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/// Opens a lesson and steps through to its end (the Next button waits for each condition).
export async function stepThroughLesson(page, origin, name, extra = '') {
  await page.goto(`${origin}#preset=${name}&speed=100${extra}`, { waitUntil: 'load' });
  await page.waitForFunction(() => performance.getEntriesByName('kube-playground:first-frame').length > 0, null, { timeout: 20000 });
  const count = await page.getByTestId('lesson-count').textContent();
  const steps = Number(count.split(' ')[0]);
  for (let n = 1; n <= steps; n++) {
    await page.getByTestId('lesson-next').click({ timeout: 30000 });
    await page.waitForFunction((n) => document.querySelector('[data-testid=lesson-count]').textContent.startsWith(`step ${n} of`), n, { timeout: 10000 });
    // Generous: a step's condition is simulated time, and this shared machine is sometimes
    // several times slower than usual (a CI run once needed over 60 s for a 15 s step).
    await page.waitForSelector('[data-testid=lesson-waiting]', { state: 'detached', timeout: 150000 })
      .catch(() => { throw new Error(`${name}: step ${n} never finished`); });
  }
}
