// Site v2 in a real headless Chromium (Debian's /usr/bin/chromium through playwright-core), on
// static builds opened from file:// (the site must work without a server): the check
// definitions and their links, baselines as reference rows, the plots, the circuit viewer's panel
// (in view, beside the graph, on hover and on keyboard focus), the largest circuit collapsed with
// few tab stops, CSV/JSON downloads that parse to the rows shown, the release label and its
// mixed-code warning, the submission guide and citation pages, and the layout at 390 and 1280 px.
// Screenshots go to test-artifacts/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { buildSite } from '../src/site/build.ts';
import { RunResultSchema, type RunResult } from '../src/results/schema.ts';
import { loadChecks } from '../src/suite/checks/registry.ts';
import { makeWideFixture } from './fixtures/make-fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const FIXTURES = join(import.meta.dirname, 'fixtures', 'results');
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const haveChromium = existsSync(CHROMIUM);
const BUILT_AT = new Date('2025-02-01T09:30:00Z');

if (!haveChromium) console.warn(`browser tests skipped: ${CHROMIUM} is missing (install it with: apt-get install -y chromium)`);

/** RFC 4180 CSV → rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

const fixtureRuns = (): RunResult[] =>
  readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => RunResultSchema.parse(JSON.parse(readFileSync(join(FIXTURES, f), 'utf8'))));

describe.skipIf(!haveChromium)('site v2 in headless Chromium', () => {
  let browser: Browser;
  let root: string;
  let site: string;
  let wideSite: string;
  let mixedSite: string;
  let wideRun: string;
  const problems: string[] = [];
  const url = (dir: string, rel: string) => pathToFileURL(join(dir, rel)).href;

  async function openPage(width = 1280, height = 900): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${page.url()}: console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    // a request cut short by navigating on (ERR_ABORTED) is not a missing file
    page.on('requestfailed', (r) => {
      if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`${page.url()}: request failed ${r.url()} (${r.failure()?.errorText})`);
    });
    return page;
  }

  /** The page's tab stops, walked with the Tab key until the focus comes round again. */
  async function tabWalk(page: Page, limit: number): Promise<number> {
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const seen: string[] = [];
    for (let i = 0; i < limit; i++) {
      await page.keyboard.press('Tab');
      const key = await page.evaluate(() => {
        const a = document.activeElement;
        if (!a || a === document.body) return 'body';
        const all = [...document.querySelectorAll('*')];
        return `${a.tagName}#${all.indexOf(a)}`;
      });
      if (key === 'body' || seen.includes(key)) break;
      seen.push(key);
    }
    return seen.length;
  }

  const inViewport = (b: { x: number; y: number; width: number; height: number } | null, w: number, h: number) =>
    b !== null && b.y >= -0.5 && b.x >= -0.5 && b.y + b.height <= h + 0.5 && b.x + b.width <= w + 0.5;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    root = mkdtempSync(join(tmpdir(), 'faithbench-site-v2-'));
    const checkDescriptions = Object.fromEntries((await loadChecks()).map((c) => [c.id, c.description]));
    site = join(root, 'site');
    await buildSite({ resultsDir: FIXTURES, outDir: site, checkDescriptions, builtAt: BUILT_AT });
    // the largest circuit: a whole-model circuit on a 5632-node model
    const wideResults = join(root, 'wide-results');
    mkdirSync(wideResults);
    const wide = makeWideFixture();
    wideRun = wide.run_id;
    writeFileSync(join(wideResults, 'wide.json'), JSON.stringify(wide));
    wideSite = join(root, 'wide-site');
    await buildSite({ resultsDir: wideResults, outDir: wideSite, checkDescriptions, builtAt: BUILT_AT });
    // the fixtures as if computed by two code commits
    const mixedResults = join(root, 'mixed-results');
    mkdirSync(mixedResults);
    fixtureRuns().forEach((r, i) => {
      r.provenance.git_commit = i % 5 === 0 ? '0123456789abcdef0123456789abcdef01234567' : 'fedcba9876543210fedcba9876543210fedcba98';
      writeFileSync(join(mixedResults, `${r.run_id}.json`), JSON.stringify(r));
    });
    mixedSite = join(root, 'mixed-site');
    await buildSite({ resultsDir: mixedResults, outDir: mixedSite, checkDescriptions, builtAt: BUILT_AT });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('defines every check: column headers link to definitions (what, formula, why), which link to the docs', async () => {
    const page = await openPage();
    await page.goto(url(site, 'index.html'));
    const links = await page.locator('#lb-methods thead a.def').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).getAttribute('href')));
    expect(links).toEqual([
      'checks.html#col-overall',
      'checks.html#check-same-gender',
      'checks.html#check-roles',
      'checks.html#check-adversary',
      'checks.html#check-minimality',
      'checks.html#check-nonsense',
      'checks.html#col-size',
      'checks.html#col-share',
      'checks.html#col-bad',
      'checks.html#col-runs',
    ]);
    await page.locator('#lb-methods thead th[data-check="minimality"] a.def').click();
    await page.waitForURL(/checks\.html#check-minimality$/);
    const section = page.locator('#check-minimality');
    expect(inViewport(await section.boundingBox().then((b) => b && { ...b, height: Math.min(b.height, 100) }), 1280, 900)).toBe(true);
    await expect(section.locator('h2').textContent()).resolves.toContain('Minimality');
    const text = (await section.textContent())!;
    expect(text).toContain('Shi et al. 2024'); // the registered description
    expect(text).toContain('clamp((s − s_ref)/(1 − s_ref), 0, 1)'); // the formula
    expect(text).toContain('bought by size'); // why
    await page.screenshot({ path: join(ARTIFACTS, 'v2-checks-1280.png'), fullPage: true });
    await section.locator('a.doc-link').click();
    await page.waitForURL(/docs\/suite\.html#term-minimality$/);
    const item = page.locator('#term-minimality');
    await expect(item.textContent()).resolves.toMatch(/^minimality \[lifted\]/);
    expect(inViewport(await item.boundingBox().then((b) => b && { ...b, height: Math.min(b.height, 60) }), 1280, 900)).toBe(true);
    await page.close();
  });

  it('shows baselines as reference rows, visually distinct', async () => {
    const page = await openPage();
    await page.goto(url(site, 'index.html'));
    const rows = page.locator('#lb-models tbody tr');
    const baseline = await rows.evaluateAll((trs) =>
      trs.map((tr) => ({ baseline: tr.classList.contains('baseline'), bg: getComputedStyle((tr as HTMLTableRowElement).cells[1]).backgroundImage, style: getComputedStyle((tr as HTMLTableRowElement).cells[0]).fontStyle })),
    );
    // the baseline rows are the keep-all ones, by their results' flag (site.test checks a renamed one)
    expect(baseline.filter((r) => r.baseline)).toHaveLength(2);
    for (const r of baseline) {
      if (r.baseline) expect([r.bg, r.style]).toEqual([expect.stringContaining('repeating-linear-gradient'), 'italic']);
      else expect([r.bg, r.style]).toEqual(['none', 'normal']);
    }
    await page.close();
  });

  it('plots size vs faithfulness per task with its Pareto front, loss vs size per model, and same-gender histograms on the IOI page', async () => {
    const page = await openPage();
    await page.goto(url(site, 'tasks/ioi.html'));
    const imgs = await page.locator('figure.plot img').evaluateAll((is) => is.map((i) => ({ src: (i as HTMLImageElement).getAttribute('src')!, w: (i as HTMLImageElement).naturalWidth })));
    for (const i of imgs) {
      await page.locator(`img[src="${i.src}"]`).scrollIntoViewIfNeeded();
    }
    const loaded = await page.locator('figure.plot img').evaluateAll((is) => is.map((i) => (i as HTMLImageElement).naturalWidth));
    expect(loaded.every((w) => w > 0)).toBe(true);
    const srcs = imgs.map((i) => i.src);
    expect(srcs.filter((s) => s.includes('pareto-ioi'))).toHaveLength(1);
    expect(srcs.filter((s) => /task-ioi-loss-/.test(s))).toEqual(['../plots/task-ioi-loss-dense-d8.svg', '../plots/task-ioi-loss-sparse-d16.svg']);
    expect(srcs.filter((s) => s.includes('same-gender'))).toEqual(['../plots/task-ioi-same-gender.svg']);
    const svg = (rel: string) => readFileSync(fileURLToPath(new URL(rel, page.url())), 'utf8');
    const pareto = svg(srcs.find((s) => s.includes('pareto-ioi'))!);
    expect(pareto).toContain('pareto_front_marks');
    expect(pareto).toContain('share of the model’s nodes');
    expect(pareto).toContain('keep-all (baseline)');
    const loss = svg('../plots/task-ioi-loss-dense-d8.svg');
    expect(loss).toContain('share of the model’s nodes');
    expect(loss).toContain('target loss 0.15');
    const sg = svg('../plots/task-ioi-same-gender.svg');
    expect(sg).toContain('← bad circuit');
    expect(sg).toContain('>0.5<');
    await page.screenshot({ path: join(ARTIFACTS, 'v2-task-ioi-1280.png'), fullPage: true });
    // no same-gender check on pronoun: no histogram
    await page.goto(url(site, 'tasks/pronoun.html'));
    await expect(page.locator('figure.plot img[src*="same-gender"]').count()).resolves.toBe(0);
    await expect(page.locator('figure.plot img[src*="task-pronoun-loss-"]').count()).resolves.toBe(2);
    await page.close();
  });

  it('keeps the viewer’s panel beside the graph and in view, on hover and on keyboard focus', async () => {
    const page = await openPage(1280, 900);
    const run = fixtureRuns().find((r) => r.method.id === 'stochastic' && r.task === 'ioi' && r.viewer && r.viewer.attention.length > 0)!;
    await page.goto(url(site, `runs/${run.run_id}.html`));
    await expect(page.locator('svg.circuit.collapsed').count()).resolves.toBe(0);
    const panel = page.locator('#panel');
    const graph = page.locator('.graph');
    const nodes = page.locator('svg.circuit .node');
    const last = nodes.nth((await nodes.count()) - 1);
    await last.hover();
    await expect(panel.locator('h3').textContent()).resolves.toBe(await last.getAttribute('data-node'));
    const g = (await graph.boundingBox())!;
    const p = (await panel.boundingBox())!;
    expect(inViewport(p, 1280, 900)).toBe(true);
    expect(p.x).toBeGreaterThanOrEqual(g.x + g.width - 1); // beside the graph, not under it
    await page.screenshot({ path: join(ARTIFACTS, 'v2-viewer-hover-1280.png') });
    // scrolled down the page, the panel stays in view (sticky)
    await page.evaluate(() => window.scrollBy(0, 250));
    await nodes.nth(0).hover();
    expect(inViewport(await panel.boundingBox(), 1280, 900)).toBe(true);
    // keyboard: the nodes are one tab stop, and the arrow keys move between them
    await expect(page.locator('svg.circuit .node[tabindex="0"]').count()).resolves.toBe(1);
    await page.evaluate(() => window.scrollTo(0, 0));
    let focused = '';
    for (let i = 0; i < 60 && !focused; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.getAttribute('data-node') ?? '');
    }
    expect(focused).toBe(await nodes.nth(0).getAttribute('data-node'));
    await expect(panel.locator('h3').textContent()).resolves.toBe(focused);
    const active = () => page.evaluate(() => ({ node: document.activeElement?.getAttribute('data-node') ?? '', col: Number(document.activeElement?.getAttribute('data-col')) }));
    // ArrowRight moves to the next column that has nodes, until one with more than one node
    let at = await active();
    const inCol = (col: number) => page.locator(`svg.circuit .node[data-col="${col}"]`).count();
    for (let i = 0; i < 16 && (await inCol(at.col)) < 2; i++) {
      await page.keyboard.press('ArrowRight');
      const to = await active();
      expect(to.col).toBeGreaterThan(at.col);
      await expect(panel.locator('h3').textContent()).resolves.toBe(to.node);
      at = to;
    }
    expect(await inCol(at.col)).toBeGreaterThan(1);
    // ArrowDown moves within the column
    await page.keyboard.press('ArrowDown');
    const down = await active();
    expect([down.col, down.node === at.node]).toEqual([at.col, false]);
    await expect(panel.locator('h3').textContent()).resolves.toBe(down.node);
    await page.keyboard.press('ArrowUp');
    await expect(active()).resolves.toEqual(at);
    expect(inViewport(await panel.boundingBox(), 1280, 900)).toBe(true);
    await expect(page.locator('svg.circuit .node[tabindex="0"]').count()).resolves.toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'v2-viewer-keyboard-1280.png') });
    await page.close();
  });

  it('collapses the largest circuit by layer × site, with few tab stops and an expand control', async () => {
    const page = await openPage(1280, 900);
    await page.goto(url(wideSite, `runs/${wideRun}.html`));
    await expect(page.locator('svg.circuit.collapsed').count()).resolves.toBe(1);
    await expect(page.locator('svg.circuit .node:visible').count()).resolves.toBe(0);
    await expect(page.locator('svg.circuit .toggle').count()).resolves.toBe(16);
    const svgBox = (await page.locator('svg.circuit').boundingBox())!;
    expect(svgBox.height).toBeLessThan(700);
    const collapsedStops = await tabWalk(page, 200);
    expect(collapsedStops).toBeLessThan(80);
    await page.screenshot({ path: join(ARTIFACTS, 'v2-largest-collapsed-1280.png') });

    // expand one group from the keyboard
    const toggle = page.locator('svg.circuit .toggle[data-group="L0.mlp_neuron"]');
    await toggle.focus();
    await expect(page.locator('#panel h3').textContent()).resolves.toBe('L0.mlp_neuron');
    await expect(page.locator('#panel').textContent()).resolves.toContain('1024 of 1024 nodes');
    await page.keyboard.press('Enter');
    await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('true');
    await expect(page.locator('svg.circuit .node:visible').count()).resolves.toBe(1024);
    const node = page.locator('svg.circuit [data-group="L0.mlp_neuron"] .node').nth(500);
    await node.hover({ force: true });
    await expect(page.locator('#panel h3').textContent()).resolves.toMatch(/^L0\.mlp_neuron\.\d+$/);
    expect(inViewport(await page.locator('#panel').boundingBox(), 1280, 900)).toBe(true);
    // everything expanded: still one tab stop for all 5632 nodes
    await page.locator('#expand-all').click();
    await expect(page.locator('svg.circuit .node:visible').count()).resolves.toBe(5632);
    const expandedStops = await tabWalk(page, 200);
    expect(expandedStops).toBeLessThanOrEqual(collapsedStops + 1);
    expect((await page.locator('svg.circuit').boundingBox())!.height).toBeLessThan(700);
    await page.locator('svg.circuit [data-group="L1.q"] .node').nth(40).hover({ force: true });
    expect(inViewport(await page.locator('#panel').boundingBox(), 1280, 900)).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'v2-largest-expanded-1280.png') });
    await page.locator('#collapse-all').click();
    await expect(page.locator('svg.circuit .node:visible').count()).resolves.toBe(0);
    await page.close();
  });

  it('offers every table and every run as CSV and JSON that parse to the rows shown', async () => {
    const page = await openPage();
    const run = fixtureRuns().find((r) => !r.flagged && r.method.id === 'mean')!;
    let tables = 0;
    for (const rel of ['index.html', 'tasks/ioi.html', 'methods/zero.html', 'models/dense-d8.html', 'release.html', `runs/${run.run_id}.html`]) {
      await page.goto(url(site, rel));
      const shown = await page.locator('p.downloads').evaluateAll((ps) =>
        ps.map((p) => {
          const wrap = p.previousElementSibling;
          const table = wrap?.classList.contains('tablewrap') ? wrap.querySelector('table') : null;
          const links = [...p.querySelectorAll('a')].map((a) => ({ format: a.getAttribute('data-format'), href: (a as HTMLAnchorElement).href }));
          return { links, rows: table ? [...table.tBodies[0].rows].map((r) => (r.cells[0].getAttribute('data-sort') ?? r.cells[0].textContent ?? '').trim()) : null };
        }),
      );
      // every table on the page has its downloads
      await expect(page.locator('.tablewrap').count(), rel).resolves.toBe(shown.filter((s) => s.rows !== null).length);
      for (const s of shown) {
        expect(s.rows, rel).not.toBeNull();
        const csvHref = s.links.find((l) => l.format === 'csv')!.href;
        const jsonHref = s.links.find((l) => l.format === 'json')!.href;
        const csv = parseCsv(readFileSync(fileURLToPath(csvHref), 'utf8'));
        const json = JSON.parse(readFileSync(fileURLToPath(jsonHref), 'utf8')) as { columns: string[]; rows: Array<Record<string, unknown>> };
        expect(csv.length - 1, csvHref).toBe(s.rows!.length);
        expect(json.rows.length, jsonHref).toBe(s.rows!.length);
        expect(csv[0], csvHref).toEqual(json.columns);
        if (json.columns[0] === 'method') expect(json.rows.map((r) => r.method)).toEqual(s.rows);
        tables++;
      }
    }
    expect(tables).toBeGreaterThanOrEqual(17);
    // the run itself: the whole result as JSON, every field as CSV, its nodes as CSV
    const hrefs = await page.locator('.run-downloads a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(hrefs).toHaveLength(3);
    const parsed = RunResultSchema.parse(JSON.parse(readFileSync(fileURLToPath(hrefs[0]), 'utf8')));
    expect(parsed.run_id).toBe(run.run_id);
    expect(parsed).toEqual(run);
    const long = parseCsv(readFileSync(fileURLToPath(hrefs[1]), 'utf8'));
    expect(long[0]).toEqual(['section', 'key', 'value']);
    expect(long.find((r) => r[0] === 'check:roles' && r[1] === 'value')![2]).toBe(String(run.checks.roles.value));
    const nodes = parseCsv(readFileSync(fileURLToPath(hrefs[2]), 'utf8'));
    expect(nodes.slice(1).map((r) => r[0]).sort()).toEqual([...run.circuit.nodes].sort());
    await page.close();
  });

  it('labels the release and warns only when the results come from more than one code commit', async () => {
    const page = await openPage();
    await page.goto(url(site, 'index.html'));
    await expect(page.locator('#release-label').textContent()).resolves.toBe('faithbench 0.1.0 · built 2025-02-01 09:30 UTC · results from unrecorded code');
    await expect(page.locator('#mixed-code').count()).resolves.toBe(0);
    await page.goto(url(mixedSite, 'index.html'));
    const warning = page.locator('#mixed-code');
    await expect(warning.isVisible()).resolves.toBe(true);
    const text = (await warning.textContent())!;
    expect(text).toContain('fedcba987654 (44 runs)');
    expect(text).toContain('0123456789ab (12 runs)');
    await expect(page.locator('#release-label').textContent()).resolves.toContain('results from 2 code commits');
    await page.screenshot({ path: join(ARTIFACTS, 'v2-mixed-code-warning-1280.png') });
    await warning.locator('a').click();
    await page.waitForURL(/release\.html$/);
    await expect(page.locator('#commits tbody tr').count()).resolves.toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, 'v2-release-mixed-1280.png'), fullPage: true });
    await page.close();
  });

  it('has a submission guide and a citation page', async () => {
    const page = await openPage();
    await page.goto(url(site, 'index.html'));
    await page.locator('nav a', { hasText: 'Submit' }).click();
    await page.waitForURL(/submit\.html$/);
    const guide = (await page.locator('main').textContent())!;
    for (const s of ['faithbench prune', 'faithbench bundle', 'faithbench submit bundle.json', '/api/submissions', 'never runs your code', 'recomputes', 'flagged', 'sub.<name>']) expect(guide, s).toContain(s);
    const docs = await page.locator('main a[href="docs/site.html"]').first().evaluate((a) => (a as HTMLAnchorElement).href);
    expect(existsSync(fileURLToPath(docs))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'v2-submit-1280.png'), fullPage: true });
    await page.locator('nav a', { hasText: 'Cite' }).click();
    await page.waitForURL(/cite\.html$/);
    const bib = await page.locator('pre.bibtex').allTextContents();
    expect(bib[0]).toMatch(/^@software\{faithbench,[\s\S]*version = \{0\.1\.0\}/);
    expect(bib.find((b) => b.includes('gao2025weightsparse'))).toMatch(/title {3}= \{Weight-sparse transformers have interpretable circuits\}[\s\S]*Gao, Leo[\s\S]*arXiv:2511\.13653[\s\S]*year {4}= \{2025\}/);
    const file = await page.locator('a[href="cite.bib"]').evaluate((a) => (a as HTMLAnchorElement).href);
    expect(readFileSync(fileURLToPath(file), 'utf8')).toContain('@article{gao2025weightsparse,');
    await page.screenshot({ path: join(ARTIFACTS, 'v2-cite-1280.png'), fullPage: true });
    await page.close();
  });

  it('fits a 390-px screen: no horizontal page overflow; wide tables scroll inside their box', async () => {
    const page = await openPage(390, 844);
    const small = fixtureRuns().find((r) => r.method.id === 'stochastic' && !r.flagged)!;
    const keepAll = fixtureRuns().find((r) => r.method.baseline === true && r.model.id === 'sparse-d16')!;
    const pages: Array<[string, string]> = [
      [site, 'index.html'], [site, 'checks.html'], [site, 'submit.html'], [site, 'cite.html'], [site, 'release.html'],
      [site, 'tasks/ioi.html'], [site, 'methods/zero.html'], [site, 'models/sparse-d16.html'], [site, `runs/${small.run_id}.html`], [site, `runs/${keepAll.run_id}.html`],
      [site, 'docs/suite.html'], [site, 'docs/site.html'], [wideSite, `runs/${wideRun}.html`], [mixedSite, 'index.html'],
    ];
    for (const [dir, rel] of pages) {
      await page.goto(url(dir, rel));
      const sw = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(sw, rel).toBeLessThanOrEqual(390);
      if (rel === 'index.html' && dir === site) {
        const scrolling = await page.locator('.tablewrap').evaluateAll((ws) => ws.filter((w) => w.scrollWidth > w.clientWidth && getComputedStyle(w).overflowX === 'auto').length);
        expect(scrolling).toBeGreaterThan(0);
        await page.screenshot({ path: join(ARTIFACTS, 'v2-index-390.png'), fullPage: true });
      }
    }
    // the viewer on a phone: the panel sticks to the bottom of the screen while the graph is in view
    await page.goto(url(site, `runs/${small.run_id}.html`));
    await page.locator('svg.circuit .node').nth(1).tap().catch(() => page.locator('svg.circuit .node').nth(1).click());
    expect(inViewport(await page.locator('#panel').boundingBox(), 390, 844)).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'v2-viewer-390.png') });
    await page.close();
  });

  it('cuts no table column at 1280 px', async () => {
    const page = await openPage(1280, 900);
    const rels = ['index.html', 'checks.html', 'release.html', ...['ioi', 'pronoun'].map((t) => `tasks/${t}.html`), ...['zero', 'mean', 'stochastic', 'keep-all'].map((m) => `methods/${m}.html`), ...['dense-d8', 'sparse-d16'].map((m) => `models/${m}.html`)];
    for (const rel of rels) {
      await page.goto(url(site, rel));
      const cut = await page.locator('.tablewrap').evaluateAll((ws) => ws.filter((w) => w.scrollWidth > w.clientWidth + 1).map((w) => `${(w as HTMLElement).dataset.table}: ${w.scrollWidth} > ${w.clientWidth}`));
      expect(cut, rel).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), rel).toBeLessThanOrEqual(1280);
    }
    await page.goto(url(site, 'index.html'));
    await page.screenshot({ path: join(ARTIFACTS, 'v2-index-1280.png'), fullPage: true });
    await page.close();
  });

  it('logged no console errors, failed requests or exceptions', () => {
    expect(problems).toEqual([]);
  });
});
