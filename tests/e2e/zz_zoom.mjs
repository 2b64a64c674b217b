import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
page.on('console', m => { if (m.type()==='error') console.log('console error', m.text()); });
await page.goto('http://localhost:8765/');
await page.waitForTimeout(1500);
const input = page.getByLabel('kubectl command');
await input.fill('kubectl create deployment web --image=nginx --replicas=3'); await input.press('Enter');
await page.waitForTimeout(5000);
await page.mouse.move(530, 539);
for (let i = 0; i < 14; i++) { await page.mouse.wheel(0, -100); await page.waitForTimeout(50); }
await page.waitForTimeout(500);
await page.screenshot({ path: '/tmp/zoom1.png' });
await browser.close();
