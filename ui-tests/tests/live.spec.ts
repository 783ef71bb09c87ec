import { expect, test } from '@jupyterlab/galata';

import {
  badge,
  collectConsoleErrors,
  fact,
  newNotebook,
  waitConnected
} from './helpers';

// Restarts go through Galata's kernel route otherwise (see sidebar.spec.ts).
test.use({ kernels: null });

const MiB = 1024 * 1024;

/** A cell that grows the kernel by 8 MiB every 0.1 s for about 4 s (320 MiB). */
const GROW =
  'import time\nblocks = []\nfor _ in range(40):\n    blocks.append(b"x" * (8 << 20)); time.sleep(0.1)';

/** A cell that runs a second (so a live reading names it), then kills its kernel. */
const KILL = 'import os, time\ntime.sleep(1.5)\nos.kill(os.getpid(), 9)';

test.describe('Live readings and a dying kernel', () => {
  let errors: string[] = [];

  test.beforeEach(async ({ page }) => {
    errors = collectConsoleErrors(page);
  });

  test.afterEach(() => {
    expect(errors).toEqual([]);
  });

  test('the running cell shows its RSS rising, as do the status bar and the Kernel pane', async ({
    page
  }) => {
    await newNotebook(page, 'live.ipynb', [GROW]);
    await page.notebook.runCell(0, { inplace: true, wait: false });
    const running = badge(page, 0);
    await expect(running).toHaveAttribute('data-live', 'true', {
      timeout: 10000
    });
    await expect(running).toHaveText(/^⏵ running · RSS [\d.]+ of [\d.]+ \w+/);
    const first = Number(await running.getAttribute('data-rss'));
    expect(first).toBeGreaterThan(0);
    await expect(page.locator('.jp-MemlensStatus')).toHaveAttribute(
      'data-live',
      'true'
    );
    await expect(fact(page, 'live')).toContainText('(live)');
    // Readings keep coming while the cell runs: RSS climbs by 100 MiB and more.
    await expect
      .poll(async () => Number(await running.getAttribute('data-rss')), {
        timeout: 10000,
        intervals: [250]
      })
      .toBeGreaterThan(first + 100 * MiB);
    // Once it ends, the cell's record replaces the live reading.
    await expect(running).not.toHaveAttribute('data-live', 'true', {
      timeout: 20000
    });
    await expect(running).toHaveText(/^RSS \+[\d.]+ (MiB|GiB) · peak/);
    await expect(page.locator('.jp-MemlensStatus')).toHaveAttribute(
      'data-live',
      'false'
    );
  });

  test('a killed kernel marks its cell at once, then says why after the restart', async ({
    page
  }) => {
    await newNotebook(page, 'killed.ipynb', ['x = 1', KILL]);
    await page.notebook.runCell(0, { inplace: true });
    // The mark can be replaced within a second of the death: record every one.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { memlensDied: string[] }).memlensDied = seen;
      new MutationObserver(() => {
        for (const node of document.querySelectorAll<HTMLElement>(
          '.jp-MemlensBadge[data-died="true"]'
        )) {
          seen.push(node.textContent ?? '');
        }
      }).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true
      });
    });
    await page.notebook.runCell(1, { inplace: true, wait: false });
    await expect(badge(page, 1)).toHaveAttribute('data-live', 'true', {
      timeout: 10000
    });
    await expect
      .poll(
        () =>
          page.evaluate(
            () => (window as unknown as { memlensDied: string[] }).memlensDied
          ),
        { timeout: 15000 }
      )
      .toContainEqual(
        expect.stringMatching(
          /^✖ the kernel died while this cell ran · last RSS [\d.]+ of [\d.]+ \w+$/
        )
      );
    // JupyterLab's own "kernel restarting" dialog, if it shows.
    const dialog = page.locator('.jp-Dialog .jp-mod-accept');
    if (await dialog.isVisible()) {
      await dialog.click();
    }
    await expect(badge(page, 1)).toHaveAttribute('data-exit-cause', 'killed', {
      timeout: 60000
    });
    await expect(badge(page, 1)).toContainText('kernel killed by a signal');
    await expect(
      page.locator('#jp-memlens-sidebar .jp-MemlensCells-exit')
    ).toContainText('The previous kernel was killed by a signal while cell');
    await expect(
      page.locator('#jp-memlens-sidebar .jp-MemlensCells-died')
    ).toHaveCount(0);
    // The Variables section sizes the new kernel instead of waiting for it.
    await waitConnected(page);
    await expect(page.locator('#jp-memlens-sidebar')).toContainText(
      / variables · [\d,]+ objects in /,
      { timeout: 30000 }
    );
    await expect(page.locator('#jp-memlens-sidebar')).not.toContainText(
      'Waiting for the kernel…'
    );
  });
});
