/**
 * Notebook 7 (the `notebook` package, served by the same test server at
 * /notebooks/): it has no status bar, so memlens puts the kernel's RSS in each
 * notebook's toolbar; a click opens the Memory panel. Plain Playwright pages:
 * Galata's page fixture drives JupyterLab, not Notebook 7.
 */
import { test as labTest } from '@jupyterlab/galata';
import { expect, test } from '@playwright/test';

import { badge, collectConsoleErrors, mib, openDemo, status } from './helpers';
import { codeNotebook, runCell, uploadNotebook } from './plainPage';

/** Prints the kernel's own RSS, read by the kernel from /proc (independent of memlens). */
const OWN_RSS =
  'import os\n' +
  'with open("/proc/self/statm") as f:\n' +
  '    pages = int(f.read().split()[1])\n' +
  'print("own RSS", pages * os.sysconf("SC_PAGE_SIZE") / 2**20, "MiB")';

/** Allocates ~150 MiB and keeps it, so the readout has something to follow. */
const ALLOCATE =
  'block = bytearray(150 * 2**20)\nblock[::4096] = b"x" * len(block[::4096])';

test.describe('Notebook 7', () => {
  let errors: string[] = [];

  test.beforeEach(async ({ page }) => {
    errors = collectConsoleErrors(page);
  });

  test.afterEach(() => {
    expect(errors).toEqual([]);
  });

  test('shows the kernel RSS in the toolbar, badges under cells, and opens the Memory panel', async ({
    page,
    request
  }) => {
    const path = await uploadNotebook(
      request,
      'notebook7',
      codeNotebook([ALLOCATE, OWN_RSS])
    );
    await page.goto(`/notebooks/${path}`);
    const readout = page.locator(
      '.jp-NotebookPanel-toolbar .jp-MemlensToolbarReadout'
    );
    await expect(readout).toHaveText(/^RSS [\d.]+ (KiB|MiB|GiB)$/, {
      timeout: 60000
    });

    await runCell(page, 0);
    await runCell(page, 1);
    const output = page
      .locator('.jp-Cell')
      .nth(1)
      .locator('.jp-OutputArea-output');
    await expect(output).toContainText('own RSS', { timeout: 60000 });
    const own = parseFloat(
      /own RSS ([\d.]+) MiB/.exec(await output.innerText())![1]
    );
    expect(own).toBeGreaterThan(150);

    // Both cells get their badge; the allocating one saw its ~150 MiB.
    await expect(badge(page, 0)).toHaveText(/^RSS \+[\d.]+ MiB/, {
      timeout: 30000
    });
    expect(
      mib((await badge(page, 0).innerText()).split(' · ')[0])
    ).toBeGreaterThan(140);
    await expect(badge(page, 1)).toHaveText(/^RSS /);

    // The readout follows the last cell: the kernel's RSS as it measured it itself.
    await expect
      .poll(async () => Math.abs(mib(await readout.innerText()) - own), {
        timeout: 30000
      })
      .toBeLessThan(Math.max(8, own * 0.05));

    // The Memory panel is one click away, on the same kernel.
    await expect(page.locator('#jp-memlens-sidebar')).toBeHidden();
    await readout.click();
    await expect(page.locator('#jp-memlens-sidebar')).toBeVisible();
    await expect(status(page)).toHaveAttribute('data-state', 'connected');
  });
});

labTest.describe('JupyterLab', () => {
  labTest.use({ kernels: null });

  labTest(
    'keeps the readout in the status bar, not in the notebook toolbar',
    async ({ page, tmpPath }) => {
      await openDemo(page, tmpPath);
      await expect(
        page.locator('#jp-main-statusbar .jp-MemlensStatus')
      ).toHaveText(/^RSS /, {
        timeout: 30000
      });
      await expect(page.locator('.jp-MemlensToolbarReadout')).toHaveCount(0);
    }
  );
});
