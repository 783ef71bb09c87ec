import { expect, galata, test } from '@jupyterlab/galata';
import * as fs from 'fs';

import {
  badge,
  collectConsoleErrors,
  DEMO,
  demoCell,
  mib,
  waitConnected,
  openDemo
} from './helpers';

const SETUP = demoCell('setup');
const WRITE_LOG = demoCell('writeLog');
const SCRIPT_VERSION = demoCell('scriptVersion');
const MARKDOWN = demoCell('puzzle1Heading');

// Restarts go through Galata's kernel route otherwise (see sidebar.spec.ts).
test.use({ kernels: null });

const BADGE_TEXT =
  /^RSS (±0 B|[+-][\d.]+ (B|KiB|MiB|GiB)) · peak \+[\d.]+ (B|KiB|MiB|GiB) · [\d.]+ (µs|ms|s)$/;

test.describe('Per-cell badges', () => {
  let errors: string[] = [];

  test.beforeEach(async ({ page }) => {
    errors = collectConsoleErrors(page);
  });

  test.afterEach(() => {
    expect(errors).toEqual([]);
  });

  test('show each cell its RSS change and exact peak, and come back after a reload', async ({
    page,
    tmpPath
  }) => {
    await openDemo(page, tmpPath);
    for (const index of [SETUP, WRITE_LOG, SCRIPT_VERSION]) {
      await page.notebook.runCell(index, true);
    }
    // The script version reads ~190 MiB of lines and drops most of them.
    const text = (await badge(page, SCRIPT_VERSION).innerText()).trim();
    expect(text).toMatch(BADGE_TEXT);
    const peak = mib(text.split(' · ')[1]);
    expect(peak).toBeGreaterThan(100);
    await expect(badge(page, SCRIPT_VERSION)).toHaveAttribute(
      'title',
      /exact: the kernel's high-water mark, reset at the cell's start\n {2}\(VmHWM/
    );
    await expect(badge(page, SETUP)).toHaveText(BADGE_TEXT);
    // A markdown cell never gets a badge.
    await expect(badge(page, MARKDOWN)).toHaveCount(0);

    // The Cells section lists the history, newest first; a click selects the cell.
    const rows = page.locator('.jp-MemlensCells-row');
    await expect(rows).toHaveCount(3);
    await expect(rows.first()).toContainText('lines = errors = None');
    await rows.last().click();
    expect(
      await page.evaluate(
        () =>
          (
            window.jupyterapp.shell.currentWidget as unknown as {
              content: { activeCellIndex: number };
            }
          ).content.activeCellIndex
      )
    ).toBe(SETUP);

    await test.step('save', () => page.notebook.save());
    // The restored workspace shows the notebook, not the Launcher Galata waits
    // for. Galata's reload takes waitForIsReady; its fixture type omits it.
    const noWait = { waitForIsReady: false } as Parameters<
      typeof page.reload
    >[0];
    await test.step('reload', () => page.reload(noWait));
    await test.step('reopen', () => page.notebook.open(DEMO));
    await expect(badge(page, SCRIPT_VERSION)).toHaveText(text, {
      timeout: 60000
    });
    await expect(badge(page, SETUP)).toHaveText(BADGE_TEXT);
  });

  test('exports the cell report as CSV and as an HTML page', async ({
    page,
    tmpPath
  }) => {
    await openDemo(page, tmpPath);
    await page.notebook.runCell(SETUP, true);
    await expect(badge(page, SETUP)).toHaveText(BADGE_TEXT);

    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.evaluate(() =>
        window.jupyterapp.commands.execute('memlens:export-csv')
      )
    ]);
    expect(csv.suggestedFilename()).toBe('memory_puzzles-memory.csv');
    const text = fs.readFileSync(await csv.path(), 'utf-8');
    const [header, row] = text.trim().split('\r\n');
    expect(header.split(',')).toContain('rss_peak');
    const rssAfter = Number(
      row.split(',')[header.split(',').indexOf('rss_after')]
    );
    expect(rssAfter).toBeGreaterThan(10 * 1024 * 1024);

    const [html] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('.jp-MemlensSidebar-export').click()
    ]);
    const page2 = fs.readFileSync(await html.path(), 'utf-8');
    expect(page2).toContain('<svg');
    expect(page2).toContain('memory_puzzles.ipynb');
  });

  test('a restart starts a new history, marked as such', async ({
    page,
    tmpPath
  }) => {
    await openDemo(page, tmpPath);
    await page.notebook.runCell(SETUP, true);
    await expect(page.locator('.jp-MemlensCells-row')).toHaveCount(1);
    await page.evaluate(() => {
      void window.jupyterapp.commands.execute('notebook:restart-kernel');
    });
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await waitConnected(page);
    await page.notebook.runCell(SETUP, true);
    await expect(page.locator('.jp-MemlensCells-row')).toHaveCount(2);
    await expect(page.locator('.jp-MemlensCells-restart')).toHaveCount(1);
  });
});

test.describe('Readouts kept in the notebook file', () => {
  test.use({
    kernels: null,
    mockSettings: {
      ...galata.DEFAULT_SETTINGS,
      'jupyterlab-memlens:plugin': { persistInNotebook: true }
    }
  });

  test('are saved in cell metadata and shown when reopened with a fresh kernel', async ({
    page,
    tmpPath
  }) => {
    const errors = collectConsoleErrors(page);
    await openDemo(page, tmpPath);
    await page.notebook.runCell(SETUP, true);
    await expect(badge(page, SETUP)).toHaveText(BADGE_TEXT);
    const text = await badge(page, SETUP).innerText();
    await page.notebook.save();

    const response = await page.request.get(
      `/api/contents/${tmpPath}/${DEMO}?content=1`
    );
    const model = (await response.json()) as {
      content: {
        cells: Array<{ metadata: Record<string, { rss_after?: unknown }> }>;
      };
    };
    expect(typeof model.content.cells[SETUP].metadata.memlens?.rss_after).toBe(
      'number'
    );

    // The saved file under another name: its own session, a fresh kernel.
    await page.contents.uploadContent(
      JSON.stringify(model.content),
      'text',
      `${tmpPath}/reopened.ipynb`
    );
    // A new kernel process has no history for this cell: the badge comes from the file.
    await page.notebook.open('reopened.ipynb');
    await expect(badge(page, SETUP)).toHaveText(text.trim());
    expect(errors).toEqual([]);
  });
});
