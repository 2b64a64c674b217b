import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
page.on('console', m => { if (m.type()==='error') console.log('console error', m.text()); });
await page.goto('http://localhost:8765/');
await page.waitForTimeout(2500);
await page.getByTestId('play').click();
await page.waitForTimeout(300);
let found = null;
outer: for (let y = 230; y < 330; y += 4) for (let x = 600; x < 840; x += 4) {
  await page.mouse.click(x, y);
  const panel = page.getByTestId('inspect-panel');
  if (await panel.count()) { const t = await panel.locator('h3').textContent(); if (t.startsWith('message')) { found = t; break outer; } }
}
console.log('found', found);
await page.screenshot({ path: '/tmp/msg.png' });
await browser.close();
