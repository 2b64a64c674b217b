// The scale benchmark in headless Chromium: opens a scale preset at the highest speed and
// prints the wall time until every pod is Running, the longest main-thread task, the frame
// times and the wasm heap. A benchmark that prints figures, not a timed test.
// Usage: node tests/e2e/bench_scale.mjs [large|envelope|openai-7500] [--timeout SECONDS]
//        [--profile SECONDS [--callers NAME]] [--dist DIR]
// --profile records the main thread's CPU for that many seconds once the first frame is up
// and prints the functions with the most self time (names need a dist built with a name
// section: see docs/ARCHITECTURE.md, "Profiling the page").
import path from 'node:path';
import { serve, launch } from './serve.mjs';

const preset = process.argv[2] || 'large';
const timeoutArg = process.argv.indexOf('--timeout');
const timeoutS = timeoutArg > 0 ? Number(process.argv[timeoutArg + 1]) : 900;
// Pods each preset ends with (the workload Deployment plus one per worker per DaemonSet),
// as src/scenario/scale.rs builds them.
const profileArg = process.argv.indexOf('--profile');
const profileS = profileArg > 0 ? Number(process.argv[profileArg + 1]) : 0;
const expected = { large: 11000, envelope: 150000, 'openai-7500': 22500 }[preset];
if (!expected) { console.error(`unknown preset ${preset}`); process.exit(2); }

const distArg = process.argv.indexOf('--dist');
const server = await serve(distArg > 0 ? path.resolve(process.argv[distArg + 1]) : undefined);
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1400, height: 850 }, colorScheme: 'dark' });
page.on('pageerror', (e) => console.log('page error:', e.message));
await page.addInitScript(() => {
  window.__bench = { longTasks: [], frames: [] };
  addEventListener('TrunkApplicationStarted', (e) => { window.__bench.wasm = e.detail.wasm; });
  new PerformanceObserver((list) => {
    for (const t of list.getEntries()) window.__bench.longTasks.push([t.startTime, t.duration]);
  }).observe({ type: 'longtask', buffered: true });
  let last = 0;
  const tick = (ts) => { if (last) window.__bench.frames.push(ts - last); last = ts; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
});
const started = Date.now();
await page.goto(`${server.origin}#preset=${preset}&speed=1000`, { waitUntil: 'load' });

const firstFrame = (Date.now() - started) / 1000;
if (profileS > 0) await profile(page, profileS);
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
console.log(`frames: ${frames.length}, median ${pct(0.5).toFixed(1)} ms, p90 ${pct(0.9).toFixed(1)} ms, p95 ${pct(0.95).toFixed(1)} ms, p99 ${pct(0.99).toFixed(1)} ms; over 16.7 ms: ${(100 * frames.filter((f) => f > 17.5).length / Math.max(1, frames.length)).toFixed(1)} %`);
const longest = b.longTasks.slice().sort((x, y) => y[1] - x[1]).slice(0, 5);
console.log(`long tasks (>50 ms): ${b.longTasks.length}, longest ${longest.map(([at, ms]) => `${ms.toFixed(0)} ms at ${(at / 1000).toFixed(1)} s`).join(', ') || 'none'}`);
console.log(`wasm heap: ${(peakHeap / 1048576).toFixed(0)} MiB`);
console.log(`screenshot: ${screenshot}`);
console.log(`wall time to all Running: ${census.running >= expected ? wall.toFixed(1) + ' s' : `not reached in ${timeoutS} s`}`);

/// Samples the page's main thread for `seconds` and prints the functions with the most self
/// time, and those with the most total time (themselves and what they call).
async function profile(page, seconds) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  await page.waitForTimeout(seconds * 1000);
  const { profile: p } = await cdp.send('Profiler.stop');
  const name = (n) => n.callFrame.functionName || `(${n.callFrame.url.split('/').pop() || 'anonymous'})`;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const dt = new Map();
  p.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const self = new Map();
  const total = new Map();
  let sampled = 0;
  for (const n of p.nodes) {
    const us = dt.get(n.id) ?? 0;
    if (!us) continue;
    sampled += us;
    self.set(name(n), (self.get(name(n)) ?? 0) + us);
    // Each function on the stack once, however often it recurses.
    const seen = new Set();
    for (let id = n.id; id !== undefined; id = parent.get(id)) seen.add(name(byId.get(id)));
    for (const f of seen) total.set(f, (total.get(f) ?? 0) + us);
  }
  const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);
  const line = ([f, us]) => `${(100 * us / sampled).toFixed(1).padStart(5)} %  ${f.slice(0, 150)}`;
  console.log(`profile: ${(sampled / 1e6).toFixed(1)} s sampled; self time:`);
  top(self, 25).forEach((e) => console.log(line(e)));
  console.log('total time:');
  top(total, 45).forEach((e) => console.log(line(e)));
  // Long frames: runs of samples inside the frame callback longer than 50 ms, and what under
  // it took their time.
  const frameFn = (n) => name(n).includes('run_loop::start::{{closure}}');
  const under = (id) => {
    let child;
    for (let at = id; at !== undefined; at = parent.get(at)) {
      if (parent.get(at) === undefined) return child === undefined ? '(root)' : name(byId.get(child));
      child = at;
    }
  };
  const slow = new Map();
  let run = [], frames = 0;
  const flush = () => {
    const us = run.reduce((a, [, d]) => a + d, 0);
    if (us > 50000) {
      frames++;
      console.log('busy run', (us/1000).toFixed(0), 'ms');
      const loc = new Map();
      for (const [id, d] of run) { const seen = new Set(); for (let at = id; at !== undefined; at = parent.get(at)) seen.add(name(byId.get(at))); for (const f of seen) loc.set(f, (loc.get(f) ?? 0) + d); }
      [...loc].sort((a,b)=>b[1]-a[1]).slice(0,40).forEach(([f,u]) => console.log('   ', (u/1000).toFixed(0).padStart(5), f.slice(0,140)));
    }
    run = [];
  };
  p.samples.forEach((id, i) => {
    const nm = name(byId.get(id));
    if (nm === '(idle)') flush();
    else run.push([id, p.timeDeltas[i + 1] ?? 0]);
  });
  flush();
  const slowUs = [...slow.values()].reduce((a, b) => a + b, 0);
  console.log(`frames over 50 ms: ${frames}, ${(slowUs / 1e6).toFixed(1)} s in all; under the frame:`);
  top(slow, 70).forEach(([f, us]) => console.log(`${(100 * us / slowUs).toFixed(1).padStart(5)} %  ${f.slice(0, 150)}`));
  // --callers NAME: who calls the functions whose name contains NAME.
  const callersArg = process.argv.indexOf('--callers');
  if (callersArg < 0) return;
  const wanted = process.argv[callersArg + 1];
  const callers = new Map();
  for (const n of p.nodes) {
    const us = dt.get(n.id) ?? 0;
    if (!us) continue;
    // The outermost call of a wanted function on this stack, and who called it.
    let found;
    for (let id = n.id; id !== undefined; id = parent.get(id)) if (name(byId.get(id)).includes(wanted)) found = id;
    const by = found !== undefined && parent.get(found);
    if (by) callers.set(name(byId.get(by)), (callers.get(name(byId.get(by))) ?? 0) + us);
  }
  console.log(`callers of ${wanted}:`);
  top(callers, 15).forEach((e) => console.log(line(e)));
}
