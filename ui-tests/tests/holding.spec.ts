import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';

import {
  cellWith,
  collectConsoleErrors,
  demoCell,
  mib,
  openDemo,
  SIDEBAR_PX
} from './helpers';

test.use({ kernels: null });

async function activeCell(page: IJupyterLabPageFixture): Promise<number> {
  return page.evaluate(
    () =>
      (
        window.jupyterapp.shell.currentWidget as unknown as {
          content: { activeCellIndex: number };
        }
      ).content.activeCellIndex
  );
}

test.describe('Cells holding memory now, at 250 px', () => {
  test('the log-loading cell holds the log (its name and Out); after log = None only its Out[n]', async ({
    page,
    tmpPath
  }) => {
    const errors = collectConsoleErrors(page);
    await openDemo(page, tmpPath);
    const sidebar = page.locator('#jp-memlens-sidebar');
    const box = await sidebar.boundingBox();
    expect(Math.round(box!.width)).toBeLessThanOrEqual(SIDEBAR_PX);

    const load = cellWith('log = LogFile(path)');
    await page.notebook.runCell(demoCell('setup'), true);
    await page.notebook.runCell(demoCell('writeLog'), true);
    await page.notebook.runCell(cellWith('class LogFile:'), true);
    await page.notebook.runCell(load, true);
    await page.notebook.runCell(demoCell('twoLists'), true);

    await sidebar.locator('.jp-MemlensCells-holding').click();
    const cells = sidebar.locator('.jp-MemlensHolding-cell');
    // Sorted by bytes held: the cell that loaded the log first, holding
    // `log` (which shares its lines with Out[4]) — about 190 MiB.
    await expect(cells.first()).toHaveAttribute('data-execution-count', '4', {
      timeout: 60000
    });
    const first = cells.first();
    await expect(first.locator('.jp-MemlensHolding-parts')).toContainText(
      /^log /
    );
    const total = first.locator('.jp-MemlensHolding-bytes');
    // A first walk cut by its budget may show less; the sizes settle.
    await expect
      .poll(async () => mib(await total.innerText()), { timeout: 60000 })
      .toBeGreaterThan(100);
    // The list_1/list_2 cell holds its two lists.
    await expect(
      cells.filter({ hasText: 'list_1' }).locator('.jp-MemlensHolding-parts')
    ).toContainText('list_2');
    // Readable at 250 px: the bytes inside the sidebar, nothing to scroll.
    await expect(total).toBeInViewport({ ratio: 1 });
    const edge = await total.boundingBox();
    expect(edge!.x + edge!.width).toBeLessThanOrEqual(box!.x + box!.width);
    const list = sidebar.locator('.jp-MemlensHolding');
    expect(
      await list.evaluate(node => node.scrollWidth <= node.clientWidth + 1)
    ).toBe(true);

    // A click goes to the cell.
    await page.notebook.selectCells(0);
    await first.click();
    await expect.poll(() => activeCell(page)).toBe(load);

    // `log = None` rebinds log in a later cell: the loading cell now holds
    // only its Out[4], which alone keeps the lines alive.
    await page.notebook.runCell(cellWith('log = None'), true);
    await expect(cells.first().locator('.jp-MemlensHolding-parts')).toHaveText(
      /^Out\[4\] /,
      { timeout: 60000 }
    );
    await expect(cells.first()).toHaveAttribute('data-execution-count', '4');
    await expect
      .poll(
        async () =>
          mib(
            await cells.first().locator('.jp-MemlensHolding-bytes').innerText()
          ),
        { timeout: 60000 }
      )
      .toBeGreaterThan(100);
    expect(errors).toEqual([]);
  });
});
