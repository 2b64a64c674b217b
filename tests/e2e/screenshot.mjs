// Takes a screenshot of a served page after creating a deployment; with X Y also right-clicks
// there and shoots the context menu. Usage: node tests/e2e/screenshot.mjs URL OUT.png [X Y]
import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu','--disable-quic','--no-first-run','--disable-background-networking','--disable-component-update','--disable-sync'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 850 }, colorScheme: 'dark' });
page.on('console', m => { if (m.type()==='error') console.log('console error', m.text()); });
await page.goto(process.argv[2]);
await page.waitForTimeout(1500);
const input = page.getByLabel('kubectl command');
await input.fill('kubectl create deployment web --image=nginx --replicas=3'); await input.press('Enter');
await page.waitForTimeout(2200);
await page.screenshot({ path: process.argv[3] });
if (process.argv[4]) {
  const box = await page.locator('canvas.cluster').boundingBox();
  await page.mouse.click(box.x + Number(process.argv[4]), box.y + Number(process.argv[5]), { button: 'right' });
  await page.waitForTimeout(300);
  await page.screenshot({ path: process.argv[3].replace('.png','-menu.png') });
}
await browser.close();
