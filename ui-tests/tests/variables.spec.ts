import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';

import { collectConsoleErrors, demoCell, openDemo } from './helpers';

test.use({ kernels: null });

function variableRow(page: IJupyterLabPageFixture, name: string) {
  return page.locator(
    `.jp-MemlensVariables-row[data-depth="0"][data-name="${name}"]`
  );
}

test.describe('Variables', () => {
  test('getsizeof beside deep and retained sizes, drill-down, filter and treemap', async ({
    page,
    tmpPath
  }) => {
    const errors = collectConsoleErrors(page);
    await openDemo(page, tmpPath);
    // The getsizeof puzzle: two lists of four items.
    await page.notebook.runCell(demoCell('twoLists'), true);

    const list1 = variableRow(page, 'list_1');
    const list2 = variableRow(page, 'list_2');
    await expect(list1).toBeVisible({ timeout: 30000 });
    await expect(list1.locator('td[data-key="getsizeof"]')).toHaveText('88 B');
    await expect(list2.locator('td[data-key="getsizeof"]')).toHaveText('88 B');
    const deep1 = await list1.locator('td[data-key="deep"]').innerText();
    const deep2 = await list2.locator('td[data-key="deep"]').innerText();
    expect(deep1).not.toBe(deep2);
    await expect(list1.locator('td[data-key="type"]')).toHaveText('list');

    // Drill into list_2: its four words.
    await list2.locator('.jp-MemlensVariables-toggle').click();
    const children = page.locator('.jp-MemlensVariables-row[data-depth="1"]');
    await expect(children).toHaveCount(4);
    await expect(children.first()).toContainText('str');

    // Filter by name.
    await page.locator('.jp-MemlensVariables-filter').fill('list_1');
    await expect(
      page.locator('.jp-MemlensVariables-row[data-depth="0"]')
    ).toHaveCount(1);
    await page.locator('.jp-MemlensVariables-filter').fill('');

    // The treemap draws with plotly, loaded on first use.
    await page.locator('.jp-MemlensVariables-view').click();
    await expect(
      page.locator('.jp-MemlensVariables-treemap .main-svg').first()
    ).toBeVisible({
      timeout: 30000
    });
    expect(errors).toEqual([]);
  });

  test('who shares: a row names the other holders of what it does not retain', async ({
    page,
    tmpPath
  }) => {
    const errors = collectConsoleErrors(page);
    await openDemo(page, tmpPath);
    const index = await page.notebook.getCellCount();
    await page.notebook.addCell(
      'code',
      'words = [str(i) * 20 for i in range(50000)]\nalias = list(words)'
    );
    await page.notebook.runCell(index, true);
    const words = variableRow(page, 'words');
    const line = words.locator('.jp-MemlensVariables-shared');
    await expect(line).toHaveText(/^shared with alias \(\d+(\.\d)? MiB\)$/, {
      timeout: 30000
    });
    // Readable where the sidebar is: the line stays inside the table's width.
    const table = await page
      .locator('.jp-MemlensVariables-table')
      .boundingBox();
    const box = await line.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(
      table!.x + table!.width + 1
    );
    expect(await line.getAttribute('title')).toContain('alias');
    expect(errors).toEqual([]);
  });

  test('Complete sizes shows progress and a Cancel button; completed sizes stay after an untouched cell', async ({
    page,
    tmpPath
  }) => {
    const errors = collectConsoleErrors(page);
    await openDemo(page, tmpPath);
    let index = await page.notebook.getCellCount();
    // About 9 million objects: more than the 300 ms default budget walks.
    await page.notebook.addCell(
      'code',
      'slow = [(i, str(i)) for i in range(3_000_000)]'
    );
    await page.notebook.runCell(index, true);
    const complete = page.locator('.jp-MemlensVariables-complete');
    await expect(complete).toBeVisible({ timeout: 30000 });
    await complete.click();
    // While it runs: how far it got, and a way to stop it.
    await expect(page.locator('.jp-MemlensVariables-cancel')).toBeVisible();
    await expect(page.locator('.jp-MemlensVariables-progress')).toHaveText(
      /^Completing sizes… [\d,]+ objects · /,
      { timeout: 10000 }
    );
    await expect(page.locator('.jp-MemlensVariables-cancel')).toHaveCount(0, {
      timeout: 60000
    });
    const slow = variableRow(page, 'slow');
    await expect(slow.locator('td[data-key="retained"]')).not.toHaveText(/≈/);

    // A cell that touches nothing: the size stays exact, kept from the walk.
    index = await page.notebook.getCellCount();
    await page.notebook.addCell('code', "print('nothing changes')");
    await page.notebook.runCell(index, true);
    await expect(slow.locator('.jp-MemlensVariables-kept')).toHaveText(
      /^kept from cell \[\d+\]$/,
      { timeout: 30000 }
    );
    await expect(slow.locator('td[data-key="retained"]')).not.toHaveText(/≈/);
    await expect(page.locator('.jp-MemlensVariables-complete')).toHaveCount(0);
    expect(errors).toEqual([]);
  });
});
