// Renders the lesson picker's thumbnails: each lesson stepped through to its end at 100×, the
// canvas left of the side panel at half scale, saved as public/lessons/NAME.jpg.
// Run by `make thumbnails` after adding or changing a lesson (needs `make dist` first);
// `node tests/e2e/thumbnails.mjs NAME…` renders only those lessons.
import path from 'node:path';
import fs from 'node:fs';
import { serve, launch, root, stepThroughLesson } from './serve.mjs';

const out = path.join(root, 'public/lessons');
fs.mkdirSync(out, { recursive: true });
const server = await serve();
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1400, height: 850 }, deviceScaleFactor: 0.5, colorScheme: 'dark' });
await page.goto(server.origin, { waitUntil: 'load' });
await page.getByTestId('lessons-toggle').click();
const names = await page.locator('[data-testid=lesson-picker] a[data-testid^=lesson-]').evaluateAll((as) => as.map((a) => a.dataset.testid.replace('lesson-', '')));
const only = process.argv.slice(2);
for (const name of names.filter((n) => only.length === 0 || only.includes(n))) {
  await page.goto('about:blank');
  await stepThroughLesson(page, server.origin, name);
  await page.waitForTimeout(300);
  const file = path.join(out, `${name}.jpg`);
  await page.screenshot({ path: file, type: 'jpeg', quality: 70, clip: { x: 0, y: 48, width: 960, height: 672 } });
  console.log(`${file}: ${fs.statSync(file).size} bytes`);
}
await browser.close();
server.close();
