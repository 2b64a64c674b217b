// End-to-end tests: the release build in dist/, served on localhost by this script, driven by
// Playwright (playwright-core) in the machine's Chromium. Screenshots go to
// tests/e2e/artifacts/ for a person to look at.
import path from 'node:path';
import fs from 'node:fs';
import { serve, launch, root, stepThroughLesson } from './serve.mjs';

const artifacts = path.join(root, 'tests/e2e/artifacts');
fs.mkdirSync(artifacts, { recursive: true });
const server = await serve();
const origin = server.origin;
const browser = await launch();

const results = [];
async function test(name, fn) {
  // E2E_ONLY=words runs only the tests whose name contains them (while iterating).
  if (process.env.E2E_ONLY && !name.includes(process.env.E2E_ONLY)) return;
  const page = await browser.newPage({ viewport: { width: 1400, height: 850 }, colorScheme: 'dark' });
  const errors = [];
  const external = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith(origin)) external.push(r.url()); });
  const started = Date.now();
  try {
    await fn(page, errors);
    if (errors.length) throw new Error(`console errors: ${errors.join(' | ')}`);
    if (external.length) throw new Error(`network use outside the page's origin: ${external.join(', ')}`);
    results.push({ name, ok: true, ms: Date.now() - started });
  } catch (e) {
    await page.screenshot({ path: path.join(artifacts, `FAILED-${name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
    results.push({ name, ok: false, ms: Date.now() - started, error: e.message });
  }
  await page.close();
}

async function open(page) {
  await page.goto(origin, { waitUntil: 'load' });
  await page.waitForSelector('[data-testid=cluster-canvas]');
  await page.waitForFunction(() => performance.getEntriesByName('kube-playground:first-frame').length > 0, null, { timeout: 20000 });
}

async function command(page, line) {
  const before = await page.locator('[data-testid=console-log] pre').count();
  const input = page.getByLabel('kubectl command');
  await input.fill(line);
  await input.press('Enter');
  // Wait for the echoed command plus at least one answer line.
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=console-log] pre').length >= n + 2, before, { timeout: 20000 });
  const lines = await page.locator('[data-testid=console-log] pre').allTextContents();
  return lines.slice(before + 1).join('\n');
}

async function clock(page) {
  return page.locator('[data-testid=clock]').textContent();
}

await test('loads with a first frame and no console errors', async (page) => {
  await open(page);
  const firstFrame = await page.evaluate(() => performance.getEntriesByName('kube-playground:first-frame')[0].startTime);
  console.log(`  navigation → first frame: ${firstFrame.toFixed(0)} ms`);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(artifacts, 'loaded.png') });
});

await test('the canvas shows the cluster (non-blank pixels)', async (page) => {
  await open(page);
  await page.waitForTimeout(800);
  const colours = await page.evaluate(() => {
    const c = document.querySelector('[data-testid=cluster-canvas]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4 * 97) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  });
  if (colours < 20) throw new Error(`canvas looks blank: ${colours} distinct colours`);
});

await test('kubectl create deployment leads to 3 Running pods', async (page) => {
  await open(page);
  const created = await command(page, 'kubectl create deployment web --image=nginx --replicas=3');
  if (!created.includes('deployment.apps/web created')) throw new Error(`unexpected: ${created}`);
  let out = '';
  for (let i = 0; i < 30; i++) {
    await page.waitForTimeout(1000);
    out = await command(page, 'kubectl get pods -o wide');
    if ((out.match(/ Running /g) || []).length === 3) break;
  }
  const running = (out.match(/ Running /g) || []).length;
  if (running !== 3) throw new Error(`expected 3 Running pods, got:\n${out}`);
  if (!/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/m.test(out)) throw new Error(`not a kubectl table:\n${out}`);
  await page.screenshot({ path: path.join(artifacts, 'three-pods-running.png') });
  const deploy = await command(page, 'kubectl get deployments');
  if (!/web\s+3\/3/.test(deploy)) throw new Error(deploy);
  const nodes = await command(page, `kubectl get pods -o jsonpath='{range .items[*]}{.spec.nodeName}{" "}{end}'`);
  if (nodes.trim().split(' ').filter((n) => n.startsWith('worker-')).length !== 3) throw new Error(`jsonpath: ${nodes}`);
  const columns = await command(page, 'kubectl get pods -o custom-columns=POD:.metadata.name,PHASE:.status.phase');
  if (!/^POD\s+PHASE$/m.test(columns) || (columns.match(/ Running$/gm) || []).length !== 3) throw new Error(`custom-columns: ${columns}`);
  await page.screenshot({ path: path.join(artifacts, 'kubectl-jsonpath.png') });
});

await test('pause stops time and step advances it', async (page) => {
  await open(page);
  await page.getByTestId('play').click();
  // Paused, the next frame writes the clock in microseconds: read it from then on.
  await page.waitForFunction(() => /\.\d{6}s$/.test(document.querySelector('[data-testid=clock]').textContent), null, { timeout: 5000 });
  const paused = await clock(page);
  await page.waitForTimeout(700);
  if ((await clock(page)) !== paused) throw new Error('the clock moved while paused');
  let moved = false;
  for (let i = 0; i < 50 && !moved; i++) {
    await page.getByTestId('step').click();
    moved = (await clock(page)) !== paused;
  }
  if (!moved) throw new Error('step did not advance the clock');
  await page.keyboard.press('Space');
  const t1 = await clock(page);
  await page.waitForTimeout(600);
  if ((await clock(page)) === t1) throw new Error('space did not resume');
});

await test('a bad command shows a kubectl error and the page keeps running', async (page) => {
  await open(page);
  const out = await command(page, 'kubectl get widgets');
  if (!out.includes(`error: the server doesn't have a resource type "widgets"`)) throw new Error(out);
  const out2 = await command(page, "kubectl create deployment 'oops");
  if (!out2.includes('error:')) throw new Error(out2);
  const t = await clock(page);
  await page.waitForTimeout(500);
  if ((await clock(page)) === t) throw new Error('the simulation stopped after bad input');
  const nodes = await command(page, 'kubectl get nodes');
  if (!nodes.includes('worker-3')) throw new Error(nodes);
});

await test('an etcd member can be stopped and restarted from the fault menu', async (page) => {
  await open(page);
  await page.waitForTimeout(1000);
  await page.getByTestId('fault-target').selectOption({ label: 'etcd-0' });
  await page.getByRole('button', { name: 'Stop (crash the process)' }).click();
  // The survivors elect a leader; kube-apiserver fails over to another member.
  await page.waitForTimeout(2500);
  const out = await command(page, 'kubectl create namespace after-crash');
  if (!out.includes('namespace/after-crash created')) throw new Error(out);
  await page.screenshot({ path: path.join(artifacts, 'etcd-member-stopped.png') });
  await page.getByTestId('fault-target').selectOption('');
  await page.getByTestId('fault-target').selectOption({ label: 'etcd-0' });
  await page.getByRole('button', { name: 'Restart from the WAL' }).click();
  await page.waitForTimeout(1500);
  const ns = await command(page, 'kubectl get namespaces');
  if (!ns.includes('after-crash')) throw new Error(ns);
});

await test('the timeline scrubs back and forth to identical states; acting in the past forks', async (page) => {
  await open(page);
  await page.waitForTimeout(1000);
  await page.getByTestId('fault-target').selectOption({ label: 'etcd-0' });
  await page.getByRole('button', { name: 'Stop (crash the process)' }).click();
  await page.waitForTimeout(2500);
  await page.getByTestId('play').click();
  const state = () => page.getByTestId('timeline').evaluate((el) => ({ ...el.dataset }));
  const paused = await state();
  // The crash and the new leader are markers on the track.
  const marks = await page.locator('[data-testid=timeline-marks] .mk').evaluateAll((els) => els.map((e) => e.className));
  if (!marks.some((c) => c.includes('mk-fault')) || marks.filter((c) => c.includes('mk-leader')).length < 2) throw new Error(`marks: ${marks}`);
  const goTo = async (ms) => {
    await page.getByTestId('scrubber').evaluate((el, v) => { el.value = String(v); el.dispatchEvent(new Event('input', { bubbles: true })); }, ms);
    await page.waitForFunction((us) => document.querySelector('[data-testid=timeline]').dataset.now === us, String(ms * 1000), { timeout: 15000 });
  };
  await goTo(800);
  const before = await state();
  if (before.horizon !== paused.horizon || before.hash === paused.hash) throw new Error(JSON.stringify({ paused, before }));
  await page.screenshot({ path: path.join(artifacts, 'timeline-scrubbed-back.png') });
  await goTo(2000);
  await goTo(800);
  if ((await state()).hash !== before.hash) throw new Error('the same moment twice gave two states');
  await page.getByTestId('live').click();
  await page.waitForFunction((us) => document.querySelector('[data-testid=timeline]').dataset.now === us, paused.now, { timeout: 15000 });
  if ((await state()).hash !== paused.hash) throw new Error('back at the horizon, the state differs');
  // A command at 0.8 s forks: the horizon comes back to now and the crash is gone.
  await goTo(800);
  const out = await command(page, 'kubectl create namespace branch-b');
  if (!out.includes('history forked')) throw new Error(out);
  const forked = await state();
  if (forked.horizon !== forked.now || Number(forked.horizon) >= Number(paused.horizon)) throw new Error(JSON.stringify(forked));
  // The markers are rewritten with the horizon (at most 4 times a second).
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=timeline-marks] .mk-fault').length === 0, null, { timeout: 3000 })
    .catch(() => { throw new Error('the crash marker outlived the fork'); });
});

await test('the network view walks a packet through the iptables rules; follow the next packet and request', async (page) => {
  await page.goto(`${origin}/#speed=2`, { waitUntil: 'load' });
  await page.waitForFunction(() => performance.getEntriesByName('kube-playground:first-frame').length > 0, null, { timeout: 20000 });
  await page.getByTestId('network-toggle').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=network-panel]').textContent.includes('No connection'), null, { timeout: 3000 })
    .catch(() => { throw new Error('expected the hint before any traffic'); });
  for (const line of ['kubectl create deployment web --image=nginx --replicas=3', 'kubectl expose deployment web --port=80',
    'kubectl run load --image=busybox -- sh -c "while true; do wget -q -O- http://web; sleep 1; done"']) {
    await command(page, line);
  }
  // An HTTP connection to the Service: KUBE-SERVICES matched its cluster IP, one KUBE-SEP's DNAT.
  await page.waitForFunction(() => {
    const hits = [...document.querySelectorAll('[data-testid=network-panel] .wl-hit')].map((e) => e.textContent);
    return hits.some((t) => t.includes('"default/web cluster IP"')) && hits.some((t) => t.includes('-j DNAT --to-destination 10.244.'));
  }, null, { timeout: 30000 });
  await page.screenshot({ path: path.join(artifacts, 'network-view.png') });
  await page.getByTestId('follow-packet').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').textContent.includes('Play'), null, { timeout: 15000 });
  const head = await page.locator('.walk-head').textContent();
  if (!/→ 10\.\d+\.\d+\.\d+:(80|53)/.test(head)) throw new Error(head);
  await page.getByTestId('requests-toggle').click();
  await page.getByTestId('follow-request').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').textContent.includes('Play'), null, { timeout: 15000 });
  // Paused on its arrival: the request is in flight, in its first stage.
  await page.waitForSelector('[data-testid=requests-panel] .req.inflight', { timeout: 3000 });
  await page.screenshot({ path: path.join(artifacts, 'request-followed.png') });
});

await test('kubectl edit opens the YAML in an editor; saving patches it, a bad value reopens it', async (page) => {
  await open(page);
  await command(page, 'kubectl create deployment web --image=nginx --replicas=2');
  // Edited while it rolls out: the rollout's status writes meanwhile do not conflict with the
  // save, which patches only what the edit changed.
  const input = page.getByLabel('kubectl command');
  await input.fill('kubectl edit deployment web');
  await input.press('Enter');
  await page.waitForSelector('[data-testid=edit-panel]', { timeout: 10000 });
  const text = await page.getByTestId('edit-text').inputValue();
  if (!text.startsWith('# Please edit the object below.') || !text.includes('  replicas: 2\n')) throw new Error(text);
  await page.getByTestId('edit-text').fill(text.replace('  replicas: 2\n', '  replicas: -4\n'));
  await page.getByTestId('edit-save').click();
  await page.waitForFunction(() => (document.querySelector('[data-testid=edit-text]')?.value ?? '').includes('# * spec.replicas: Invalid value: -4'), null, { timeout: 10000 });
  await page.screenshot({ path: path.join(artifacts, 'kubectl-edit-reopened.png') });
  const again = await page.getByTestId('edit-text').inputValue();
  await page.getByTestId('edit-text').fill(again.replace('  replicas: -4\n', '  replicas: 4\n'));
  await page.getByTestId('edit-save').click();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=console-log] pre')].some((p) => p.textContent === 'deployment.apps/web edited'), null, { timeout: 10000 });
  const out = await command(page, 'kubectl get deployment web');
  if (!/web\s+\d\/4/.test(out)) throw new Error(out);
});

await test('a link between two components has its own fault menu; the fault lands on the timeline', async (page) => {
  await open(page);
  await page.waitForTimeout(500);
  // Halfway along the line from kube-apiserver to etcd-0, between their boxes.
  const box = await page.locator('canvas.cluster').boundingBox();
  await page.mouse.click(box.x + 499, box.y + 188, { button: 'right' });
  const menu = page.getByTestId('fault-menu');
  await menu.waitFor({ timeout: 3000 });
  if (!(await menu.textContent()).startsWith('kube-apiserver ↔ etcd-0')) throw new Error(await menu.textContent());
  await page.getByRole('button', { name: 'Delay the next message kube-apiserver → etcd-0 by 500 ms' }).click();
  await page.screenshot({ path: path.join(artifacts, 'link-fault.png') });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=timeline-marks] .mk-fault').length === 1, null, { timeout: 3000 })
    .catch(() => { throw new Error('no fault marker on the timeline'); });
});

await test('on a phone the panel sits below the canvas and folds away', async (page) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await open(page);
  const panel = page.locator('aside.panel');
  if (!(await panel.isVisible())) throw new Error('the panel is not shown');
  await page.getByTestId('panel-toggle').click();
  if (await panel.isVisible()) throw new Error('the panel did not fold away');
  const timeline = await page.getByTestId('timeline').boundingBox();
  if (timeline.y + timeline.height < 844 - 20) throw new Error(`the timeline stayed up at ${timeline.y}`);
  await page.screenshot({ path: path.join(artifacts, 'phone-folded.png') });
  await page.getByTestId('panel-toggle').click();
  await page.getByLabel('kubectl command').waitFor({ state: 'visible' });
});

await test('the light theme switches the page and the canvas, and is kept', async (page) => {
  await open(page);
  const corner = () => page.locator('canvas.cluster').evaluate((c) => {
    const d = c.getContext('2d').getImageData(2, 2, 1, 1).data;
    return d[0] + d[1] + d[2];
  });
  if (await corner() > 200) throw new Error('the dark theme should open first here');
  await page.getByTestId('theme-toggle').click();
  await page.waitForTimeout(300);
  if (!(await page.evaluate(() => document.documentElement.classList.contains('light')))) throw new Error('no light class');
  if (await corner() < 600) throw new Error('the canvas stayed dark');
  await page.screenshot({ path: path.join(artifacts, 'light-theme.png') });
  await page.reload({ waitUntil: 'load' });
  await page.waitForFunction(() => performance.getEntriesByName('kube-playground:first-frame').length > 0, null, { timeout: 20000 });
  if (!(await page.evaluate(() => document.documentElement.classList.contains('light')))) throw new Error('the choice was not kept');
  await page.getByTestId('theme-toggle').click();
});

await test('a node menu cordons, uncordons and drains it through kubectl', async (page) => {
  await open(page);
  await page.waitForTimeout(1500);
  const pick = async () => {
    await page.getByTestId('fault-target').selectOption('');
    await page.getByTestId('fault-target').selectOption({ label: 'node worker-1' });
  };
  const said = (text) => page.waitForFunction((t) => [...document.querySelectorAll('[data-testid=console-log] pre')].some((p) => p.textContent.split('\n').includes(t)), text, { timeout: 20000 });
  await pick();
  await page.getByRole('button', { name: 'Cordon (kubectl cordon)' }).click();
  await said('node/worker-1 cordoned');
  await page.waitForTimeout(600);
  await pick();
  await page.getByRole('button', { name: 'Uncordon (kubectl uncordon)' }).click();
  await said('node/worker-1 uncordoned');
  await pick();
  await page.getByRole('button', { name: 'Drain (kubectl drain --ignore-daemonsets)' }).click();
  await said('node/worker-1 drained');
});

await test('the link sets the cluster shape; a bad link is reported, not fatal', async (page) => {
  await page.goto(origin + '#members=5&timing=etcd', { waitUntil: 'load' });
  await page.waitForFunction(() => performance.getEntriesByName('kube-playground:first-frame').length > 0, null, { timeout: 20000 });
  const members = await command(page, 'etcdctl member list');
  if (members.split('\n').length !== 5) throw new Error(members);
  await page.screenshot({ path: path.join(artifacts, 'five-etcd-members.png') });
  await page.goto('about:blank');
  await page.goto(origin + '#members=9', { waitUntil: 'load' });
  await page.waitForFunction(() => performance.getEntriesByName('kube-playground:first-frame').length > 0, null, { timeout: 20000 });
  const log = (await page.locator('[data-testid=console-log] pre').allTextContents()).join('\n');
  if (!log.includes('invalid link: members=9 (expected a number up to 7)')) throw new Error(log);
  const overlay = await page.getByTestId('link-error').textContent();
  if (!overlay.includes('invalid link: members=9')) throw new Error(overlay);
  await page.getByRole('button', { name: 'Open the empty playground' }).click();
  const nodes = await command(page, 'etcdctl member list');
  if (nodes.split('\n').length !== 3) throw new Error(nodes);
});

await test('secrets are encrypted at rest when the link asks for it', async (page) => {
  await page.goto(origin + '#encryption=aescbc', { waitUntil: 'load' });
  await page.waitForFunction(() => performance.getEntriesByName('kube-playground:first-frame').length > 0, null, { timeout: 20000 });
  await page.waitForTimeout(800);
  const created = await command(page, 'kubectl create secret generic db --from-literal=password=hunter2');
  if (!created.includes('secret/db created')) throw new Error(created);
  const stored = await command(page, 'etcdctl get /registry/secrets/default/db');
  if (!stored.includes('k8s:enc:aescbc:v1:key1:') || stored.includes('aHVudGVyMg')) throw new Error(stored);
});

await test('the Raft view shows the etcd members on a ring', async (page) => {
  await open(page);
  await page.getByTestId('view').selectOption('raft');
  await page.waitForTimeout(1200);
  await page.screenshot({ path: path.join(artifacts, 'raft-view.png') });
  const out = await command(page, 'etcdctl endpoint status -w table');
  if ((out.match(/\| +true +\|/g) || []).length !== 1) throw new Error(`expected one leader:\n${out}`);
});

await test('the legend opens', async (page) => {
  await open(page);
  await page.getByTestId('legend-toggle').click();
  await page.getByTestId('legend').waitFor();
  const text = await page.getByTestId('legend').textContent();
  for (const want of ['kube-apiserver', 'etcd', 'Raft vote', 'watch event']) if (!text.includes(want)) throw new Error(`legend lacks ${want}`);
  await page.screenshot({ path: path.join(artifacts, 'legend.png') });
});

await test('the scheduler panel explains why pods fit nowhere; describe shows FailedScheduling', async (page) => {
  await open(page);
  await page.getByTestId('scheduler-toggle').click();
  await page.getByTestId('scheduler-panel').waitFor();
  await command(page, 'kubectl create deployment big --image=pause --replicas=340');
  const table = page.getByTestId('explain-table');
  await page.waitForFunction(() => /Too many pods/.test(document.querySelector('[data-testid=explain-table]')?.textContent || ''), null, { timeout: 30000 });
  const text = await page.getByTestId('scheduler-panel').textContent();
  if (!text.includes('FailedScheduling: 0/4 nodes are available')) throw new Error(text);
  if (!(await table.textContent()).includes('TaintToleration')) throw new Error(await table.textContent());
  await page.screenshot({ path: path.join(artifacts, 'scheduler-panel.png') });
  const pending = (await command(page, 'kubectl get pods')).split('\n').find((l) => l.includes(' Pending '));
  if (!pending) throw new Error('no Pending pod');
  const described = await command(page, `kubectl describe pod ${pending.split(/\s+/)[0]}`);
  if (!/Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/4 nodes are available: 1 node\(s\) had untolerated taint\(s\), 3 Too many pods\./.test(described)) {
    throw new Error(described);
  }
});

await test('a powered-off node goes NotReady and is tainted unreachable', async (page) => {
  await open(page);
  await page.getByTestId('fault-target').selectOption({ label: 'node worker-1' });
  await page.getByRole('button', { name: 'Power off the node (kubelet and containers stop)' }).click();
  await page.getByTestId('speed').selectOption('100');
  let nodes = '';
  for (let i = 0; i < 20 && !/worker-1\s+NotReady/.test(nodes); i++) {
    await page.waitForTimeout(500);
    nodes = await command(page, 'kubectl get nodes');
  }
  if (!/worker-1\s+NotReady/.test(nodes)) throw new Error(nodes);
  await page.getByTestId('speed').selectOption('1');
  await page.screenshot({ path: path.join(artifacts, 'node-powered-off.png') });
  const events = await command(page, 'kubectl get events');
  if (!events.includes('Node worker-1 status is now: NodeNotReady')) throw new Error(events);
});

await test('RBAC denies, impersonation and service-account tokens work from the console', async (page) => {
  await open(page);
  const denied = await command(page, 'kubectl --as=alice get pods');
  if (!denied.includes('User "alice" cannot list resource "pods" in API group "" in the namespace "default"')) throw new Error(denied);
  await page.screenshot({ path: path.join(artifacts, 'apiserver-denied.png') });
  await page.getByTestId('requests-toggle').click();
  await page.waitForFunction(() => (document.querySelector('[data-testid=requests-panel]')?.textContent || '').includes('kubectl as alice'), null, { timeout: 5000 });
  const inspector = await page.getByTestId('requests-panel').textContent();
  if (!inspector.includes('403')) throw new Error(inspector);
  await page.screenshot({ path: path.join(artifacts, 'requests-panel.png') });
  await page.getByTestId('requests-toggle').click();
  await command(page, 'kubectl create rolebinding alice-view --clusterrole=view --user=alice');
  await page.waitForTimeout(1500);
  const yes = await command(page, 'kubectl --as=alice auth can-i list pods');
  if (yes.trim() !== 'yes') throw new Error(yes);
  await command(page, 'kubectl create serviceaccount ci');
  await page.waitForTimeout(500);
  const token = (await command(page, 'kubectl create token ci')).trim();
  if (token.split('.').length !== 3) throw new Error(token);
  const who = await command(page, `kubectl --token=${token} auth whoami`);
  if (!who.includes('system:serviceaccount:default:ci')) throw new Error(who);
  const anon = await command(page, 'curl -k https://10.0.0.10:6443/metrics');
  if (!anon.includes('cannot get path \\"/metrics\\"')) throw new Error(anon);
});

await test('the transports panel compares HTTP/1.0, 1.1, 2 and 3; loss costs retransmissions', async (page) => {
  await open(page);
  await page.getByTestId('transports-toggle').click();
  const panel = page.getByTestId('transport-panel');
  await panel.waitFor();
  if ((await page.getByTestId('lane').count()) !== 4) throw new Error('four lanes');
  const table = async () => (await page.getByTestId('transport-table').locator('tr').allTextContents());
  const before = await table();
  if (before.length !== 5 || !before[3].startsWith('HTTP/2') || !before[3].includes('1')) throw new Error(before.join('\n'));
  // Five per cent loss: every version now resends packets.
  await panel.locator('input[type=range]').nth(4).fill('5');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=transport-table] tr')].slice(1)
    .every((r) => Number(r.children[5].textContent) > 0), null, { timeout: 5000 });
  if ((await panel.locator('.tr-row.lost').count()) === 0) throw new Error('no request held by a lost packet');
  // The running cluster's clients, each on one HTTP/2 connection.
  const conns = page.getByTestId('cluster-connections');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=cluster-connections] tr').length > 4, null, { timeout: 5000 });
  const kcm = (await conns.locator('tr').allTextContents()).find((r) => r.startsWith('kube-controller-manager'));
  if (!kcm || !kcm.includes('HTTP/2')) throw new Error(`connections: ${kcm}`);
  await page.screenshot({ path: path.join(artifacts, 'transports.png') });
});

await test('the metrics panel measures the SLIs and shows any component\'s /metrics', async (page) => {
  await open(page);
  await command(page, 'kubectl create deployment web --image=nginx --replicas=2');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=slis] tr')].slice(1)
    .every((r) => r.children[3].textContent === 'met'), null, { timeout: 20000 });
  const expo = page.getByTestId('exposition');
  if (!(await expo.textContent()).includes('apiserver_request_total')) throw new Error('no apiserver metrics');
  // The chart's second line can be any of the charted production metrics.
  await page.getByTestId('chart-series').selectOption({ label: 'workqueue_depth' });
  await page.getByTestId('scrape-target').selectOption('etcd-0');
  await page.waitForFunction(() => document.querySelector('[data-testid=exposition]').textContent.includes('etcd_server_has_leader 1'), null, { timeout: 5000 });
  await page.screenshot({ path: path.join(artifacts, 'metrics.png') });
});

await test('stopping kube-apiserver refuses kubectl; starting it again brings it back', async (page) => {
  await open(page);
  await page.getByTestId('fault-target').selectOption({ label: 'kube-apiserver' });
  await page.getByRole('button', { name: 'Stop (crash the process)' }).click();
  const refused = await command(page, 'kubectl get nodes');
  if (!refused.includes('The connection to the server 10.0.0.10:6443 was refused')) throw new Error(refused);
  await page.screenshot({ path: path.join(artifacts, 'apiserver-stopped.png') });
  await page.getByTestId('fault-target').selectOption({ label: 'kube-apiserver' });
  await page.getByRole('button', { name: 'Start it again' }).click();
  let nodes = '';
  for (let i = 0; i < 20 && !nodes.includes('worker-3'); i++) {
    await page.waitForTimeout(300);
    nodes = await command(page, 'kubectl get nodes');
  }
  if (!nodes.includes('worker-3')) throw new Error(nodes);
});

await test('an HA control plane: three apiservers and an events etcd; one apiserver stopped, kubectl moves to another', async (page) => {
  await page.goto(origin + '#apiservers=3&events-etcd=3', { waitUntil: 'load' });
  await page.waitForFunction(() => performance.getEntriesByName('kube-playground:first-frame').length > 0, null, { timeout: 20000 });
  // The metrics panel lists its targets on its next refresh.
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=scrape-target] option')]
    .some((o) => o.textContent === 'kube-apiserver-3'), null, { timeout: 10000 })
    .catch(async () => { throw new Error(`scrape targets: ${await page.getByTestId('scrape-target').locator('option').allTextContents()}`); });
  // The first pods are scheduled before the stop: stopped earlier, the scheduler on another
  // control-plane machine schedules them only once the first one's Lease has run out (15 s).
  let before = '';
  for (let i = 0; i < 20 && !before.includes('Scheduled'); i++) {
    if (i > 0) await page.waitForTimeout(250);
    before = await command(page, 'kubectl get events -A');
  }
  await page.getByTestId('fault-target').selectOption({ label: 'kube-apiserver' });
  await page.getByRole('button', { name: 'Stop (crash the process)' }).click();
  // The first request may be refused; the load balancer sends the next dial elsewhere.
  let nodes = '';
  for (let i = 0; i < 5 && !nodes.includes('worker-3'); i++) nodes = await command(page, 'kubectl get nodes');
  if (!nodes.includes('worker-3') || nodes.includes('NotReady')) throw new Error(nodes);
  // The Events live in the events etcd; etcdctl reaches it when --endpoints names it.
  const events = await command(page, 'kubectl get events -A');
  if (!events.includes('Scheduled')) throw new Error(events);
  const members = await command(page, 'etcdctl --endpoints=https://etcd-events-0:2379 member list');
  if (!members.includes('etcd-events-2') || members.includes('etcd-0,')) throw new Error(members);
  await page.screenshot({ path: path.join(artifacts, 'ha-apiservers.png') });
  // The Raft view draws each Raft group on its own ring: the main etcd's and the events etcd's.
  await page.getByTestId('view').selectOption('raft');
  await page.waitForTimeout(1200);
  await page.screenshot({ path: path.join(artifacts, 'raft-view-events-etcd.png') });
});

await test('the apply panel applies a YAML manifest; admission then defaults and enforces it', async (page) => {
  await open(page);
  await page.getByTestId('apply-toggle').click();
  const before = await page.locator('[data-testid=console-log] pre').count();
  await page.getByTestId('apply-run').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=console-log] pre').length >= n + 2, before, { timeout: 20000 });
  const lines = (await page.locator('[data-testid=console-log] pre').allTextContents()).slice(before).join('\n');
  if (!lines.includes('limitrange/limits created') || !lines.includes('resourcequota/compute created')) throw new Error(lines);
  await page.screenshot({ path: path.join(artifacts, 'apply-panel.png') });
  await page.waitForTimeout(1000);
  const pod = await command(page, 'kubectl run big --image=nginx');
  if (!pod.includes('pod/big created')) throw new Error(pod);
  const json = await command(page, 'kubectl get pod big -o json');
  if (!json.includes('LimitRanger plugin set: cpu, memory request for container big')) throw new Error(json);
  const bad = await command(page, 'kubectl create quota q --hard=pods=x');
  if (!bad.includes('error:')) throw new Error(bad);
  const table = await command(page, 'kubectl get pods -w');
  if (!table.includes('big')) throw new Error(table);
  await page.getByLabel('kubectl command').press('Control+c');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=console-log] pre')].some((p) => p.textContent === '^C'), null, { timeout: 5000 });
});

await test('a validating webhook from the apply examples denies a :latest image', async (page) => {
  await open(page);
  await page.getByTestId('apply-toggle').click();
  const pick = page.getByLabel('Example manifests');
  await pick.selectOption({ label: 'A webhook server (Deployment and Service)' });
  await page.getByTestId('apply-run').click();
  await page.getByTestId('speed').selectOption('10');
  let pods = '';
  for (let i = 0; i < 30 && !/deny-latest-\S+\s+1\/1\s+Running/.test(pods); i++) {
    await page.waitForTimeout(300);
    pods = await command(page, 'kubectl get pods');
  }
  if (!/deny-latest-\S+\s+1\/1\s+Running/.test(pods)) throw new Error(pods);
  await page.getByTestId('speed').selectOption('1');
  await pick.selectOption({ label: 'ValidatingWebhookConfiguration (after the server)' });
  await page.getByTestId('apply-run').click();
  await page.waitForTimeout(500);
  const denied = await command(page, 'kubectl run web --image=nginx');
  if (!denied.includes('admission webhook "deny-latest.example.com" denied the request')) throw new Error(denied);
  await page.screenshot({ path: path.join(artifacts, 'webhook-denied.png') });
  const ok = await command(page, 'kubectl run web --image=nginx:1.27');
  if (!ok.includes('pod/web created')) throw new Error(ok);
});

async function firstFrame(page) {
  await page.waitForFunction(() => performance.getEntriesByName('kube-playground:first-frame').length > 0, null, { timeout: 20000 });
}

await test('a share link opens the same history at the same moment', async (page) => {
  await open(page);
  const created = await command(page, 'kubectl create deployment web --image=nginx --replicas=2');
  if (!created.includes('deployment.apps/web created')) throw new Error(created);
  await page.waitForTimeout(1500);
  await page.getByTestId('play').click();
  await page.getByTestId('share-toggle').click();
  const link = await page.getByTestId('share-link').inputValue();
  const embed = await page.getByTestId('embed-code').inputValue();
  if (!/#s=[\w-]+&t=[\d.]+$/.test(link)) throw new Error(link);
  if (!embed.startsWith('<iframe src="') || !embed.includes('&embed" width="800" height="500" loading="lazy" title="')) throw new Error(embed);
  const t = link.split('&t=')[1];
  const sentClock = await clock(page);
  if (!sentClock.startsWith(`t = ${(Math.floor(Number(t) * 1000) / 1000).toFixed(3)}`)) throw new Error(`${sentClock} vs t=${t}`);
  const other = await browser.newPage({ viewport: { width: 1400, height: 850 }, colorScheme: 'dark' });
  await other.goto(link, { waitUntil: 'load' });
  await firstFrame(other);
  await other.waitForFunction((c) => document.querySelector('[data-testid=clock]').textContent === c, sentClock, { timeout: 20000 });
  const log = (await other.locator('[data-testid=console-log] pre').allTextContents()).join('\n');
  if (!log.includes('deployment.apps/web created')) throw new Error(log);
  if ((await other.getByTestId('play').textContent()) !== '▶ Play') throw new Error('a link opens paused');
  await other.getByTestId('play').click();
  const pods = await command(other, 'kubectl get pods');
  if ((pods.match(/web-/g) || []).length !== 2) throw new Error(pods);
  await other.screenshot({ path: path.join(artifacts, 'share-link-opened.png') });
  await other.close();
  console.log(`     share link: ${link.length - link.indexOf('#')} characters after #`);
});

await test('a lesson steps through to its end; presenter mode and clicker keys', async (page) => {
  await page.goto(origin + '#preset=raft-election&speed=5', { waitUntil: 'load' });
  await firstFrame(page);
  const lesson = page.getByTestId('lesson');
  if (!(await lesson.textContent()).includes('Raft: leader election and log replication')) throw new Error('no lesson card');
  await page.getByTestId('lesson-next').click();
  const steps = 6;
  for (let n = 1; n <= steps; n++) {
    await page.waitForFunction((n) => document.querySelector('[data-testid=lesson-count]').textContent === `step ${n} of 6`, n);
    await page.waitForSelector('[data-testid=lesson-waiting]', { state: 'detached', timeout: 30000 });
    if (n === 2) {
      await page.getByRole('button', { name: 'So that one member usually times out first and wins before others compete' }).click();
      if (!(await lesson.textContent()).includes('Right.')) throw new Error('the answer is not judged');
      await page.screenshot({ path: path.join(artifacts, 'lesson-question.png') });
    }
    if (n === 4) {
      await page.getByTestId('present').click();
      await page.screenshot({ path: path.join(artifacts, 'lesson-presenter.png') });
      await page.keyboard.press('PageDown');
      continue;
    }
    if (n < steps) await page.getByTestId('lesson-next').click();
  }
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => document.querySelector('[data-testid=lesson-count]').textContent === 'step 5 of 6', null, { timeout: 20000 });
  await page.keyboard.press('Escape');
  await page.screenshot({ path: path.join(artifacts, 'lesson-end.png') });
});

await test('every lesson in the picker steps through to its end at 100×', async (page) => {
  await open(page);
  await page.getByTestId('lessons-toggle').click();
  const names = await page.locator('[data-testid=lesson-picker] a[data-testid^=lesson-]').evaluateAll((as) => as.map((a) => a.dataset.testid.replace('lesson-', '')));
  if (names.length < 10) throw new Error(`only ${names.length} lessons`);
  for (const name of names) {
    await page.goto('about:blank');
    await stepThroughLesson(page, origin, name);
    await page.screenshot({ path: path.join(artifacts, `lesson-${name}.png`) });
  }
});

await test('the lesson picker lists the lessons with thumbnails and opens one', async (page) => {
  await open(page);
  await page.getByTestId('lessons-toggle').click();
  const images = page.locator('[data-testid=lesson-picker] img');
  for (let i = 0; i < await images.count(); i++) {
    await images.nth(i).scrollIntoViewIfNeeded();
    await page.waitForFunction((el) => el.complete, await images.nth(i).elementHandle());
    const ok = await images.nth(i).evaluate((el) => el.naturalWidth > 0);
    if (!ok) throw new Error(`${await images.nth(i).getAttribute('src')} is missing: run make thumbnails`);
  }
  await page.getByTestId('lesson-raft-election').click();
  await page.waitForSelector('[data-testid=lesson]');
  if (!page.url().endsWith('#preset=raft-election')) throw new Error(page.url());
});

await test('the embed example loads both iframes with a play bar', async (page) => {
  await page.goto(origin + 'public/embed-example.html', { waitUntil: 'load' });
  for (const id of ['embed-raft', 'embed-cluster']) {
    const frame = page.frameLocator(`[data-testid=${id}]`);
    await frame.locator('[data-testid=embed-bar]').waitFor({ timeout: 20000 });
    if (await frame.locator('.toolbar').count()) throw new Error('embed shows the toolbar');
    const href = await frame.getByTestId('open-full').getAttribute('href');
    if (href.includes('embed')) throw new Error(href);
  }
  const raft = page.frameLocator('[data-testid=embed-raft]');
  // Paused, the clock shows microseconds.
  if ((await raft.getByTestId('clock').textContent()) !== 't = 0.000000s') throw new Error('an embed without autoplay waits');
  await raft.getByTestId('play').click();
  await page.waitForTimeout(800);
  if ((await raft.getByTestId('clock').textContent()).startsWith('t = 0.000')) throw new Error('play does not run');
  await page.screenshot({ path: path.join(artifacts, 'embed-example.png'), fullPage: true });
});

await test('the session survives a reload; Reset starts clean', async (page) => {
  await open(page);
  const created = await command(page, 'kubectl create namespace autosaved');
  if (!created.includes('namespace/autosaved created')) throw new Error(created);
  await page.waitForTimeout(2600);
  await page.reload({ waitUntil: 'load' });
  await firstFrame(page);
  await page.waitForFunction(() => document.querySelector('[data-testid=console-log]').textContent.includes('namespace/autosaved created'), null, { timeout: 20000 });
  await page.getByTestId('reset').click();
  await page.reload({ waitUntil: 'load' });
  await firstFrame(page);
  await page.waitForTimeout(1000);
  const log = await page.getByTestId('console-log').textContent();
  if (log.includes('autosaved')) throw new Error('Reset did not start clean');
});

await test('another link pasted into the same tab opens', async (page) => {
  await open(page);
  await page.evaluate(() => { location.hash = 'preset=raft-election'; });
  await page.waitForFunction(() => document.body.textContent.includes('Raft') && document.querySelector('[data-testid=present]'), null, { timeout: 20000 })
    .catch(() => { throw new Error('the new link did not open'); });
});

await test('malformed links show a message over an empty playground', async (page) => {
  for (const [hash, words] of [['#s=bm90LWRlZmxhdGU', 'This link is damaged'], ['#preset=nope', 'unknown preset "nope"'], ['#s=%3Cscript%3Ealert(1)%3C/script%3E', 'This link is damaged']]) {
    await page.goto('about:blank');
    await page.goto(origin + hash, { waitUntil: 'load' });
    await firstFrame(page);
    const text = await page.getByTestId('link-error').textContent();
    if (!text.includes(words)) throw new Error(`${hash}: ${text}`);
  }
  await page.screenshot({ path: path.join(artifacts, 'link-error.png') });
  await page.getByRole('button', { name: 'Open the empty playground' }).click();
  const members = await command(page, 'etcdctl member list');
  if (members.split('\n').length !== 3) throw new Error(members);
});

await test('clicking a pod, a node or a component opens the inspector', async (page) => {
  await open(page);
  const created = await command(page, 'kubectl create deployment web --image=nginx --replicas=3');
  if (!created.includes('created')) throw new Error(created);
  await page.getByTestId('speed').selectOption('10');
  await page.waitForTimeout(1500);
  await page.getByTestId('play').click();
  const box = await page.locator('canvas.cluster').boundingBox();
  const seen = new Set();
  for (let y = box.height * 0.45; y < box.height - 20 && seen.size < 3; y += 14) {
    for (let x = 20; x < box.width - 460 && seen.size < 3; x += 24) {
      await page.mouse.click(box.x + x, box.y + y);
      const panel = page.getByTestId('inspect-panel');
      if (!(await panel.count())) continue;
      const title = await panel.locator('h3').textContent();
      const kind = title.split(' ')[0];
      if (seen.has(kind)) continue;
      const text = await page.getByTestId('inspect-text').textContent();
      if (kind === 'pod' && !(text.includes('Name:') && text.includes('Events:') && text.includes('default-scheduler'))) throw new Error(text);
      if (kind === 'node' && !text.includes('Non-terminated Pods:')) throw new Error(text);
      if (kind !== 'pod' && kind !== 'node' && !text.includes('Latest activity:')) throw new Error(text);
      seen.add(kind === 'pod' || kind === 'node' ? kind : 'component');
      if (kind === 'pod') await page.screenshot({ path: path.join(artifacts, 'inspector-pod.png') });
    }
  }
  if (!seen.has('pod') || !seen.has('node') || !seen.has('component')) throw new Error(`only ${[...seen]}`);
});

await test('zoomed in, a pod opens into its containers and still picks as that pod', async (page) => {
  await open(page);
  await command(page, 'kubectl create deployment web --image=nginx --replicas=3');
  await page.waitForTimeout(4000);
  // A web pod's box on worker-2, found by clicking along its row.
  const box = await page.locator('canvas.cluster').boundingBox();
  let at = null;
  for (let x = 360; x < 620 && !at; x += 12) {
    await page.mouse.click(box.x + x, box.y + 490);
    const panel = page.getByTestId('inspect-panel');
    const title = (await panel.count()) ? await panel.locator('h3').textContent() : '';
    if (title.startsWith('pod default/web-')) at = { x, title };
  }
  if (!at) throw new Error('no web pod found on the canvas');
  await page.mouse.move(box.x + at.x, box.y + 490);
  for (let i = 0; i < 14; i++) await page.mouse.wheel(0, -100);
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(artifacts, 'pod-zoomed.png') });
  await page.getByTestId('inspect-panel').locator('.close').click();
  await page.mouse.click(box.x + at.x, box.y + 490);
  const again = await page.getByTestId('inspect-panel').locator('h3').textContent();
  if (again !== at.title) throw new Error(`${again} ≠ ${at.title}`);
});

await test('a 1,000-node cluster is a heat map whose tiles zoom into pods and open as nodes', async (page) => {
  await page.goto(`${server.origin}#preset=large&speed=100`, { waitUntil: 'load' });
  await firstFrame(page);
  await page.waitForFunction(() => document.querySelector('[data-testid=census]')?.textContent.startsWith('1,000 nodes'), null, { timeout: 20000 });
  // The drop-downs name the first 20 nodes and say where the other 980 are.
  const faults = await page.$$eval('[data-testid=fault-target] option', (os) => os.map((o) => o.textContent));
  const workers = faults.filter((o) => o.startsWith('node '));
  if (workers.length !== 20 || faults.at(-1) !== '… 980 more nodes: right-click one on the canvas') {
    throw new Error(`fault targets: ${workers.length} nodes, last "${faults.at(-1)}"`);
  }
  // The metrics panel lists its targets on its next refresh.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=scrape-target] option').length > 0, null, { timeout: 10000 }).catch(() => {});
  const scrapes = await page.$$eval('[data-testid=scrape-target] option', (os) => os.map((o) => o.textContent));
  if (!scrapes.includes('kube-proxy/worker-19') || scrapes.includes('kubelet/worker-20') || !scrapes.at(-1).startsWith('… 981 more nodes')) {
    throw new Error(`scrape targets: ${scrapes.length}, last "${scrapes.at(-1)}"`);
  }
  // Wait for pods to land, then zoom into the first rows of tiles.
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=census]').dataset.running) > 300, null, { timeout: 120000 });
  await page.getByTestId('play').click();
  await page.screenshot({ path: path.join(artifacts, 'scale-large.png') });
  const box = await page.locator('canvas.cluster').boundingBox();
  // The grid's first tile sits at the left of the nodes region, below the control plane.
  await page.mouse.move(box.x + 40, box.y + box.height * 0.47);
  for (let i = 0; i < 8; i++) { await page.mouse.wheel(0, -300); await page.waitForTimeout(60); }
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(artifacts, 'scale-large-zoomed.png') });
  const seen = new Set();
  for (let y = 40; y < box.height - 20 && seen.size < 2; y += 17) {
    for (let x = 20; x < box.width - 460 && seen.size < 2; x += 23) {
      await page.mouse.click(box.x + x, box.y + y);
      const panel = page.getByTestId('inspect-panel');
      if (!(await panel.count())) continue;
      const kind = (await panel.locator('h3').textContent()).split(' ')[0];
      if (kind === 'pod' || kind === 'node') seen.add(kind);
    }
  }
  if (!seen.has('pod') || !seen.has('node')) throw new Error(`clicked only ${[...seen]}`);
});

await browser.close();
server.close();
let failed = 0;
for (const r of results) {
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.ms} ms)${r.ok ? '' : `\n     ${r.error}`}`);
  if (!r.ok) failed++;
}
console.log(`e2e: ${results.length - failed} passed, ${failed} failed; screenshots in tests/e2e/artifacts/`);
process.exit(failed ? 1 : 0);
