import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';

import { badge, collectConsoleErrors, demoCell, openDemo } from './helpers';

test.use({ kernels: null });

/** Every number in the popover masked: screenshots that do not change with the numbers. */
async function maskDigits(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(() => {
    const root = document.querySelector('.jp-MemlensPopover');
    const walker = document.createTreeWalker(root!, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      // A number with its sign and unit becomes "#": its length, sign and
      // unit vary from run to run, the layout does not.
      node.textContent = (node.textContent ?? '').replace(
        /[+\-±]?\d[\d.,]*( (B|KiB|MiB|GiB|µs|ms|s))?/g,
        '#'
      );
    }
  });
}

test.describe('The badge popover', () => {
  test('opens from the keyboard, aligned and selectable, closes on Escape; light and dark', async ({
    page,
    tmpPath
  }) => {
    const errors = collectConsoleErrors(page);
    await openDemo(page, tmpPath);
    await page.notebook.runCell(demoCell('setup'), true);
    // Writing the log file: a readout with no output-cache value, so its
    // text does not change after the cell (the screenshots stay stable).
    const write = demoCell('writeLog');
    await page.notebook.runCell(write, true);
    const loadBadge = badge(page, write);
    await expect(loadBadge).toHaveAttribute('data-execution-count', '2');

    await loadBadge.focus();
    await page.keyboard.press('Enter');
    const popover = page.locator('.jp-MemlensPopover');
    await expect(popover).toBeVisible();
    await expect(popover).toBeFocused();
    await expect(loadBadge).toHaveAttribute('aria-expanded', 'true');
    await expect(popover).toContainText('The RSS change is made of');
    // Numbers in one column: their right edges line up.
    const rights = await popover
      .locator('.jp-MemlensPopover-value')
      .evaluateAll(nodes =>
        nodes.map(node => Math.round(node.getBoundingClientRect().right))
      );
    expect(rights.length).toBeGreaterThan(2);
    expect(new Set(rights).size).toBe(1);
    expect(
      await popover.evaluate(node => getComputedStyle(node).userSelect)
    ).toBe('text');

    await maskDigits(page);
    await expect(popover).toHaveScreenshot('popover-light.png');

    await page.keyboard.press('Escape');
    await expect(popover).toHaveCount(0);
    await expect(loadBadge).toBeFocused();
    await expect(loadBadge).toHaveAttribute('aria-expanded', 'false');

    await page.theme.setDarkTheme();
    await loadBadge.focus();
    await page.keyboard.press(' ');
    await expect(popover).toBeVisible();
    await maskDigits(page);
    await expect(popover).toHaveScreenshot('popover-dark.png');
    await page.keyboard.press('Escape');
    await expect(popover).toHaveCount(0);
    expect(errors).toEqual([]);
  });
});
