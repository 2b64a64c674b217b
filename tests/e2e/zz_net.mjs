import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
page.on('console', m => { if (m.type()==='error') console.log('console error', m.text()); });
await page.goto('http://localhost:8765/#speed=2');
await page.waitForTimeout(1500);
const input = page.getByLabel('kubectl command');
for (const c of ['kubectl create deployment web --image=nginx --replicas=3', 'kubectl expose deployment web --port=80',
  'kubectl run load --image=busybox -- sh -c "while true; do wget -q -O- http://web; sleep 1; done"']) {
  await input.fill(c); await input.press('Enter'); await page.waitForTimeout(700);
}
await page.getByTestId('network-toggle').click();
await page.waitForTimeout(9000);
await page.screenshot({ path: '/tmp/net1.png' });
await page.getByTestId('follow-packet').click();
await page.waitForFunction(() => document.querySelector('[data-testid=play]').textContent.includes('Play'), null, { timeout: 10000 });
await page.waitForTimeout(800);
await page.screenshot({ path: '/tmp/net2.png' });
await page.getByTestId('requests-toggle').click();
await page.getByTestId('follow-request').click();
await page.waitForFunction(() => document.querySelector('[data-testid=play]').textContent.includes('Play'), null, { timeout: 10000 });
await page.waitForTimeout(800);
await page.screenshot({ path: '/tmp/req1.png' });
await browser.close();
