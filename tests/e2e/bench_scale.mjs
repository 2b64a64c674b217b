// The scale benchmark in headless Chromium: opens a scale preset at the highest speed and
// prints the wall time until every pod is Running, the longest main-thread task, the frame
// times and the wasm heap. A benchmark that prints figures, not a timed test.
// Usage: node tests/e2e/bench_scale.mjs [large|envelope|openai-7500] [--timeout SECONDS]
import { serve, launch } from './serve.mjs';

const preset = process.argv[2] || 'large';
const timeoutArg = process.argv.indexOf('--timeout');
const timeoutS = timeoutArg > 0 ? Number(process.argv[timeoutArg + 1]) : 900;
// Pods each preset ends with (the workload Deployment plus one per worker per DaemonSet),
// as src/scenario/scale.rs builds them.
const expected = { large: 11000, envelope: 150000, 'openai-7500': 22500 }[preset];
if (!expected) { console.error(`unknown preset ${preset}`); process.exit(2); }

const server = await serve();
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1400, height: 850 }, colorScheme: 'dark' });
page.on('pageerror', (e) => console.log('page error:', e.message));
await page.addInitScript(() => {
  window.__bench = { longTasks: [], frames: [] };
  addEventListener('TrunkApplicationStarted', (e) => { window.__bench.wasm = e.detail.wasm; });
  new PerformanceObserver((list) => {
    for (const t of list.getEntries()) window.__bench.longTasks.push(t.duration);
  }).observe({ type: 'longtask', buffered: true });
  let last = 0;
  const tick = (ts) => { if (last) window.__bench.frames.push(ts - last); last = ts; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
});
const started = Date.now();
await page.goto(`${server.origin}#preset=${preset}&speed=1000`, { waitUntil: 'load' });
await page.waitForFunction(() => performance.getEntriesByName('kube-playground:first-frame').length > 0, null, { timeout: 120000 });
const firstFrame = (Date.now() - started) / 1000;
let census = { running: 0, pods: 0 };
let peakHeap = 0;
while ((Date.now() - started) / 1000 < timeoutS) {
  const s = await page.evaluate(() => {
    const c = document.querySelector('[data-testid=census]');
    const mem = window.__bench.wasm?.memory?.buffer?.byteLength ?? 0;
    return { running: Number(c?.dataset.running ?? 0), pods: Number(c?.dataset.pods ?? 0), heap: mem,
      clock: document.querySelector('[data-testid=clock]')?.textContent };
  });
  census = s;
  peakHeap = Math.max(peakHeap, s.heap);
  if (s.running >= expected) break;
  await page.waitForTimeout(250);
}
const wall = (Date.now() - started) / 1000;
const b = await page.evaluate(() => window.__bench);
const frames = b.frames.slice().sort((x, y) => x - y);
const pct = (q) => frames.length ? frames[Math.min(frames.length - 1, Math.floor(q * frames.length))] : 0;
const screenshot = `tests/e2e/artifacts/bench-${preset}.png`;
await page.screenshot({ path: screenshot });
await browser.close();
server.close();
console.log(`preset: ${preset}, pods expected: ${expected}`);
console.log(`first frame: ${firstFrame.toFixed(2)} s`);
console.log(`pods Running: ${census.running}/${census.pods} at ${census.clock}`);
console.log(`frames: ${frames.length}, median ${pct(0.5).toFixed(1)} ms, p95 ${pct(0.95).toFixed(1)} ms`);
console.log(`long tasks (>50 ms): ${b.longTasks.length}, longest ${Math.max(0, ...b.longTasks).toFixed(0)} ms`);
console.log(`wasm heap: ${(peakHeap / 1048576).toFixed(0)} MiB`);
console.log(`screenshot: ${screenshot}`);
console.log(`wall time to all Running: ${census.running >= expected ? wall.toFixed(1) + ' s' : `not reached in ${timeoutS} s`}`);
