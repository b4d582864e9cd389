// The site in a real headless Chromium (Debian's /usr/bin/chromium through playwright-core):
// sorting, navigation, the circuit viewer's hover panel, no console errors (CSP violations
// included), and the same pages opened from file:// to prove the static folder needs no server.
// Screenshots go to test-artifacts/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../src/server/server.ts';
import { PRESETS } from '../src/suite/presets.ts';

const CHROMIUM = '/usr/bin/chromium';
const FIXTURES = join(import.meta.dirname, 'fixtures', 'results');
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const haveChromium = existsSync(CHROMIUM);

if (!haveChromium) {
  console.warn(`browser tests skipped: ${CHROMIUM} is missing (install it with: apt-get install -y chromium)`);
}

describe.skipIf(!haveChromium)('site in headless Chromium', () => {
  let browser: Browser;
  let app: FastifyInstance;
  let base: string;
  let siteDir: string;
  let root: string;
  const problems: string[] = [];

  /** A page that records every console error and uncaught exception into `problems`. */
  async function openPage(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${page.url()}: console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`${page.url()}: request failed ${r.url()}`));
    return page;
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    root = mkdtempSync(join(tmpdir(), 'faithbench-browser-'));
    siteDir = join(root, 'site');
    app = await createServer({ resultsDir: FIXTURES, siteDir, settings: PRESETS.tiny.settings, log: () => {} });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('sorts the leaderboard by a column', async () => {
    const page = await openPage();
    await page.goto(`${base}/`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Faithfulness leaderboard');
    const table = page.locator('#lb-models');
    const order = () => table.locator('tbody tr').evaluateAll((rows) => (rows as HTMLTableRowElement[]).map((r) => `${r.cells[0].textContent!.trim()}/${r.cells[1].textContent!.trim()}`));
    const before = await order();
    expect(before).toHaveLength(8);
    // the reference baseline is a muted row ranked by its score (0: last), not pinned by its id
    await expect(table.locator('tbody tr.baseline').count()).resolves.toBe(2);
    expect(before.slice(-2).map((r) => r.split('/')[0])).toEqual(['keep-all baseline', 'keep-all baseline']);

    const sizeHeader = table.locator('thead th', { hasText: 'Size n*' });
    await sizeHeader.locator('button').click();
    const bySize = await order();
    expect(bySize).not.toEqual(before);
    await expect(sizeHeader.getAttribute('aria-sort')).resolves.toBe('descending');
    const sizes = await table.locator('tbody tr td.size:not([data-sort=""])').evaluateAll((tds) =>
      tds.filter((_, i) => i % 2 === 0).map((td) => Number(td.getAttribute('data-sort'))),
    );
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));

    await sizeHeader.locator('button').click();
    await expect(sizeHeader.getAttribute('aria-sort')).resolves.toBe('ascending');
    expect(await order()).toEqual([...bySize].reverse());
    await page.screenshot({ path: join(ARTIFACTS, 'leaderboard-sorted.png'), fullPage: true });
    await page.close();
  });

  it('shows each check as its lift over the raw score, the control as a multiplier, and flagged runs', async () => {
    const page = await openPage();
    await page.goto(`${base}/`);
    const table = page.locator('#lb-methods');
    const headers = await table.locator('thead th.check button').allTextContents();
    expect(headers.map((h) => h.trim())).toEqual(['Same-gender generalization', 'Node-role consistency', 'Adversarial ablation', 'Minimality', '× Nonsense resistance (negative control)']);
    const stochastic = table.locator('tbody tr', { hasText: 'stochastic' });
    const roles = stochastic.locator('td.check').nth(1);
    await expect(roles.locator('.raw').textContent()).resolves.toMatch(/^raw 0\.\d{3}$/);
    await expect(roles.getAttribute('title')).resolves.toMatch(/^Node-role consistency: lift 0\.\d{3} \(\[0\.\d{3}, 0\.\d{3}\]\); raw score 0\.\d{3}/);
    await expect(stochastic.locator('td.check').nth(4).textContent()).resolves.toMatch(/^×0\.\d{3} \[/);
    // fewer than 5 seeds: the mean and n, no interval
    await expect(table.locator('tbody tr', { hasText: 'mean' }).locator('td.overall .ci').textContent()).resolves.toBe('n=3');
    await expect(table.locator('tbody tr', { hasText: 'zero' }).locator('.badge.flagged').textContent()).resolves.toBe('1 flagged');

    // sorting by a check column orders rows by its lifted value
    await table.locator('thead th.check', { hasText: 'Minimality' }).locator('button').click();
    const values = await table.locator('tbody tr').evaluateAll((rows) => (rows as HTMLTableRowElement[]).map((r) => Number(r.querySelectorAll('td.check')[3].getAttribute('data-sort'))));
    expect(values).toEqual([...values].sort((a, b) => b - a));

    // the flagged run's page says so and shows no checks
    await page.goto(`${base}/methods/zero.html`);
    await page.locator('tr.flagged a.viewer-link').click();
    await page.waitForURL(/\/runs\/[0-9a-f]{16}\.html$/);
    await expect(page.locator('.flagged-note').textContent()).resolves.toContain('failed verification on held-out prompts');
    await expect(page.locator('table.checks').count()).resolves.toBe(0);
    await expect(page.locator('#panel').textContent()).resolves.toContain('no activation samples');
    await page.screenshot({ path: join(ARTIFACTS, 'run-flagged.png'), fullPage: true });
    await page.close();
  });

  it('opens a method page with its card, intervals and plots', async () => {
    const page = await openPage();
    await page.goto(`${base}/`);
    await page.locator('#lb-methods a', { hasText: 'stochastic' }).first().click();
    await page.waitForURL(/\/methods\/stochastic\.html$/);
    await expect(page.locator('h1').textContent()).resolves.toContain('stochastic');
    await expect(page.locator('.card .description').textContent()).resolves.toContain('stochastic ablation');
    await expect(page.locator('#method-scores tbody tr').count()).resolves.toBe(3);
    // every plot image loaded (naturalWidth > 0)
    const widths = await page.locator('figure.plot img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
    expect(widths.length).toBeGreaterThanOrEqual(2);
    for (const w of widths) expect(w).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'method-stochastic.png'), fullPage: true });
    await page.close();
  });

  it('opens a circuit viewer and shows activations when a node is hovered', async () => {
    const page = await openPage();
    await page.goto(`${base}/methods/zero.html`);
    await page.locator('a.viewer-link').first().click();
    await page.waitForURL(/\/runs\/[0-9a-f]{16}\.html$/);
    const panel = page.locator('#panel');
    await expect(panel.locator('table.acts').count()).resolves.toBe(0);

    const node = page.locator('svg.circuit .node').nth(1);
    const id = await node.getAttribute('data-node');
    await node.locator('circle').hover();
    await panel.locator('table.acts').waitFor();
    await expect(panel.locator('h3').textContent()).resolves.toBe(id);
    await expect(panel.locator('table.acts tbody tr').count()).resolves.toBe(4);
    await expect(panel.locator('table.acts thead').textContent()).resolves.toBe('promptunprunedpruned');
    await expect(node.getAttribute('class')).resolves.toContain('active');

    // a q/k/v node also shows its head's attention pattern
    const qkv = page.locator('svg.circuit .node.site-q, svg.circuit .node.site-k, svg.circuit .node.site-v').first();
    if ((await qkv.count()) > 0) {
      await qkv.locator('circle').hover();
      await panel.locator('table.attn').first().waitFor();
    }
    await expect(page.locator('#heads .head').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('table.checks tbody tr').count()).resolves.toBe(7);
    await page.screenshot({ path: join(ARTIFACTS, 'circuit-viewer.png'), fullPage: true });
    await page.close();
  });

  it('works as plain files, with no server (relative links)', async () => {
    const page = await openPage();
    await page.goto(pathToFileURL(join(siteDir, 'index.html')).href);
    await page.locator('#lb-methods a', { hasText: 'mean' }).first().click();
    await page.waitForURL(/methods\/mean\.html$/);
    await page.locator('a.viewer-link').first().click();
    await page.waitForURL(/runs\/[0-9a-f]{16}\.html$/);
    await page.locator('svg.circuit .node circle').first().hover();
    await page.locator('#panel table.acts').waitFor();
    await page.close();
  });

  it('logged no console errors, failed requests or exceptions', () => {
    expect(problems).toEqual([]);
  });
});
