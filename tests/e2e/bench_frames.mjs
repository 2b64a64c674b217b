// The default scene's frame cost in headless Chromium: every requestAnimationFrame callback
// is timed with the Performance API (the page's whole frame: simulating, sampling, drawing)
// while a Deployment starts, a Service gets traffic and the animation runs at 1×. Prints
// p50/p95/max, and how many frames took a timeline snapshot's extra time. A benchmark that
// prints figures, not a timed test. Usage: node tests/e2e/bench_frames.mjs [--seconds N]
import { serve, launch } from './serve.mjs';

const secondsArg = process.argv.indexOf('--seconds');
const seconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 20;
const server = await serve();
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1400, height: 850 }, colorScheme: 'dark' });
page.on('pageerror', (e) => console.log('page error:', e.message));
await page.addInitScript(() => {
  window.__frames = [];
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (cb) => raf((ts) => {
    const t0 = performance.now();
    cb(ts);
    window.__frames.push(performance.now() - t0);
  });
});
await page.goto(server.origin, { waitUntil: 'load' });
await page.waitForFunction(() => performance.getEntriesByName('kube-playground:first-frame').length > 0, null, { timeout: 20000 });
const input = page.getByLabel('kubectl command');
for (const line of ['kubectl create deployment web --image=nginx --replicas=3', 'kubectl expose deployment web --port=80',
  'kubectl run load --image=busybox -- sh -c "while true; do wget -q -O- http://web; sleep 0.5; done"']) {
  await input.fill(line);
  await input.press('Enter');
  await page.waitForTimeout(300);
}
// Measure from here: the setup's typing is not the scene.
await page.evaluate(() => { window.__frames = []; });
await page.waitForTimeout(seconds * 1000);
const frames = await page.evaluate(() => window.__frames.slice());
await browser.close();
server.close();
frames.sort((a, b) => a - b);
const pct = (q) => frames[Math.min(frames.length - 1, Math.floor(q * frames.length))];
console.log(`default scene, ${seconds} s at 1×: ${frames.length} frames`);
console.log(`frame time: p50 ${pct(0.5).toFixed(2)} ms, p95 ${pct(0.95).toFixed(2)} ms, p99 ${pct(0.99).toFixed(2)} ms, max ${frames[frames.length - 1].toFixed(2)} ms`);
console.log(`frames over 10 ms: ${frames.filter((f) => f > 10).length}`);
