import { expect, test } from '@jupyterlab/galata';

import { collectConsoleErrors, mib, openDemo } from './helpers';

// Galata's kernel-tracking route answers every POST under /api/kernels with
// 201; this test needs no restart, but the demo's other specs run alike.
test.use({ kernels: null });

/** Drop 7 of every 8 malloc'd blocks: glibc keeps the holes until a trim. */
const FRAGMENT =
  "_frag = [b'x' * (1024 + i % 3072) for i in range(200_000)]\n_frag = _frag[::8]";

test.describe('Kernel memory explained', () => {
  test('the picture of RSS appears and the trim says what it gave back', async ({
    page,
    tmpPath
  }) => {
    const errors = collectConsoleErrors(page);
    await openDemo(page, tmpPath);
    const sidebar = page.locator('#jp-memlens-sidebar');
    // The picture: a stacked bar and a legend whose parts include the user's.
    await expect(sidebar.locator('.jp-MemlensBreakdown-bar')).toBeVisible({
      timeout: 30000
    });
    await expect(
      sidebar.locator(
        '.jp-MemlensBreakdown-segment[data-part="libraries_and_code"]'
      )
    ).toHaveCount(1);

    const index = await page.notebook.getCellCount();
    await page.notebook.addCell('code', FRAGMENT);
    await page.notebook.runCell(index, true);
    const held = sidebar.locator(
      '.jp-MemlensBreakdown-item[data-part="allocators_free"] .jp-MemlensBreakdown-value'
    );
    // Read again after the cell: the holes are the allocators'.
    await expect
      .poll(async () => mib((await held.textContent()) ?? '0 B'), {
        timeout: 30000
      })
      .toBeGreaterThan(200);

    const trim = sidebar.locator('.jp-MemlensFree-row[data-action="trim"]');
    await trim.locator('button').click();
    const result = trim.locator('.jp-MemlensFree-result');
    await expect(result).toHaveText(/^gave back \d+(\.\d)? (MiB|GiB)$/, {
      timeout: 30000
    });
    expect(mib((await result.textContent()) ?? '')).toBeGreaterThan(200);
    // The picture is read again: the allocators' part has shrunk.
    await expect
      .poll(async () => mib((await held.textContent()) ?? '0 B'), {
        timeout: 30000
      })
      .toBeLessThan(150);
    expect(errors).toEqual([]);
  });
});
