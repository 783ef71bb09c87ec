import { expect, test } from '@jupyterlab/galata';

import { collectConsoleErrors, newNotebook } from './helpers';

test.use({ kernels: null });

test.describe('Treemap with hostile names (issue #12 item 13)', () => {
  test('a variable named namespace and markup in a type name draw as text', async ({
    page
  }) => {
    const errors = collectConsoleErrors(page);
    // A new notebook, not the demo: clicking the demo's first cell (its rendered title,
    // under the notebook toolbar) to turn it into code was intercepted by the toolbar
    // for two minutes once in CI.
    await newNotebook(page, 'hostile.ipynb', [
      'namespace = list(range(1000))\n' +
        'Evil = type(\'<a href="javascript:alert(1)">evil</a>\', (), {})\n' +
        'evil = [Evil() for _ in range(100)]'
    ]);
    await page.notebook.runCell(0, true);
    const row = page.locator(
      '.jp-MemlensVariables-row[data-depth="0"][data-name="namespace"]'
    );
    await expect(row).toBeVisible({ timeout: 30000 });
    await page.locator('.jp-MemlensVariables-view').click();
    const treemap = page.locator('.jp-MemlensVariables-treemap');
    await expect(treemap.locator('.main-svg').first()).toBeVisible({
      timeout: 30000
    });
    // Drawn: the root and the variable named like it are both there, as text.
    await expect(
      treemap.locator('text', { hasText: 'namespace' })
    ).not.toHaveCount(0);
    // No link from a name: the markup shows as text.
    await expect(treemap.locator('a')).toHaveCount(0);
    expect(errors).toEqual([]);
  });
});
