import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';

import {
  cellWith,
  badge,
  collectConsoleErrors,
  demoCell,
  mib,
  openDemo,
  SIDEBAR_PX
} from './helpers';

test.use({ kernels: null });

function topRows(page: IJupyterLabPageFixture) {
  return page.locator(
    '#jp-memlens-sidebar .jp-MemlensVariables-row[data-depth="0"]'
  );
}

async function names(page: IJupyterLabPageFixture): Promise<string[]> {
  return topRows(page).evaluateAll(rows =>
    rows.map(row => (row as HTMLElement).dataset.name ?? '')
  );
}

test.describe('The Memory sidebar at 250 px', () => {
  test('the largest variable’s retained size shows without scrolling; sorting works from the keyboard', async ({
    page,
    tmpPath
  }) => {
    const errors = collectConsoleErrors(page);
    await openDemo(page, tmpPath);
    const sidebar = page.locator('#jp-memlens-sidebar');
    const box = await sidebar.boundingBox();
    expect(box).not.toBeNull();
    expect(Math.round(box!.width)).toBeLessThanOrEqual(SIDEBAR_PX);

    // The demo's LogFile, then the second puzzle: variables of very
    // different sizes.
    await page.notebook.runCell(demoCell('setup'), true);
    await page.notebook.runCell(demoCell('writeLog'), true);
    await page.notebook.runCell(cellWith('class LogFile:'), true);
    await page.notebook.runCell(cellWith('log = LogFile(path)'), true);
    await page.notebook.runCell(demoCell('twoLists'), true);
    await expect(
      sidebar.locator('.jp-MemlensVariables-row[data-name="list_2"]')
    ).toBeVisible({ timeout: 60000 });
    // Sorted by retained size, largest first, by default.
    const sizes = await topRows(page)
      .locator('td[data-key="retained"]')
      .allTextContents();
    expect(sizes.length).toBeGreaterThan(3);
    expect(mib(sizes[0])).toBe(Math.max(...sizes.map(mib)));
    // `log` and Out share the log's lines, so neither alone retains them:
    // every row's retained size must fit, not only the largest one's.
    const right = box!.x + box!.width;
    const edges = await topRows(page)
      .locator('td[data-key="retained"] .jp-MemlensVariables-value')
      .evaluateAll(nodes =>
        nodes.map(node => node.getBoundingClientRect().right)
      );
    expect(edges.length).toBe(sizes.length);
    for (const edge of edges) {
      expect(edge).toBeLessThanOrEqual(right);
    }
    const retained = topRows(page)
      .first()
      .locator('td[data-key="retained"] .jp-MemlensVariables-value');
    await expect(retained).toHaveText(/\d+(\.\d)? (KiB|MiB|GiB)/);
    // Visible and wholly inside the sidebar: no horizontal scrolling needed.
    await expect(retained).toBeInViewport({ ratio: 1 });
    const cell = await retained.boundingBox();
    expect(cell!.x).toBeGreaterThanOrEqual(box!.x);
    expect(cell!.x + cell!.width).toBeLessThanOrEqual(box!.x + box!.width);
    const body = page.locator('#jp-memlens-sidebar .jp-MemlensVariables-body');
    expect(
      await body.evaluate(node => node.scrollWidth <= node.clientWidth + 1)
    ).toBe(true);
    // Compact rows: every line under a name (type and shape, "shared with",
    // "kept from cell [n]", GPU) stays one line, cut with an ellipsis at
    // 250 px, its full text in a tooltip; the sizes sit on the name's line.
    const under = topRows(page).locator(
      '.jp-MemlensVariables-secondary, .jp-MemlensVariables-shared, .jp-MemlensVariables-kept'
    );
    const heights = await under.evaluateAll(nodes =>
      nodes.map(node => ({
        height: node.getBoundingClientRect().height,
        font: parseFloat(getComputedStyle(node).fontSize),
        title: (node as HTMLElement).title
      }))
    );
    expect(heights.length).toBeGreaterThan(sizes.length);
    for (const line of heights) {
      expect(line.height).toBeLessThan(2 * line.font);
      expect(line.title).not.toBe('');
    }
    const label = await topRows(page)
      .first()
      .locator('.jp-MemlensVariables-label')
      .boundingBox();
    expect(Math.abs(cell!.y - label!.y)).toBeLessThan(4);
    // Type and shape as a second line under the name.
    await expect(
      topRows(page).first().locator('.jp-MemlensVariables-secondary')
    ).not.toBeEmpty();

    // A trivial cell gets a dot (under "Hide badges under", 1 MiB by
    // default); the cell that loads the log keeps its full badge.
    const setupBadge = badge(page, demoCell('setup'));
    await expect(setupBadge).toHaveAttribute('data-small', 'true');
    expect((await setupBadge.boundingBox())!.width).toBeLessThan(10);
    const loadBadge = badge(page, cellWith('log = LogFile(path)'));
    await expect(loadBadge).toHaveAttribute('data-small', 'false');
    await expect(loadBadge).toBeVisible();
    expect(mib(await loadBadge.innerText())).toBeGreaterThan(50);

    // The Cells preview gets the sidebar's width, not two characters.
    const preview = sidebar.locator('.jp-MemlensCells-preview').first();
    await expect(preview).toBeVisible();
    expect((await preview.boundingBox())!.width).toBeGreaterThan(
      box!.width / 2
    );

    // Sort by name from the keyboard: focus the heading, Enter, then Space.
    const nameHeading = sidebar.locator(
      'th[data-key="name"] .jp-MemlensVariables-sortButton'
    );
    await nameHeading.focus();
    await page.keyboard.press('Enter');
    const ascending = await names(page);
    expect(ascending).toEqual(
      [...ascending].sort((a, b) => a.localeCompare(b))
    );
    await expect(sidebar.locator('th[data-key="name"]')).toHaveAttribute(
      'aria-sort',
      'ascending'
    );
    await sidebar
      .locator('th[data-key="name"] .jp-MemlensVariables-sortButton')
      .focus();
    await page.keyboard.press('Space');
    await expect(sidebar.locator('th[data-key="name"]')).toHaveAttribute(
      'aria-sort',
      'descending'
    );
    expect(await names(page)).toEqual([...ascending].reverse());

    // The sort select reaches a hidden column; the chooser shows it.
    const select = sidebar.locator('.jp-MemlensVariables-sort');
    await select.focus();
    await select.selectOption('retained');
    await expect(sidebar.locator('th[data-key="retained"]')).toHaveAttribute(
      'aria-sort',
      'descending'
    );
    const resorted = await topRows(page)
      .locator('td[data-key="retained"]')
      .allTextContents();
    expect(mib(resorted[0])).toBe(Math.max(...resorted.map(mib)));
    const deepHeading = sidebar.locator('th[data-key="deep"]');
    await expect(deepHeading).toBeHidden();
    await sidebar.locator('.jp-MemlensVariables-columns > summary').focus();
    await page.keyboard.press('Enter');
    await sidebar
      .locator('.jp-MemlensVariables-columns input[data-key="deep"]')
      .check();
    await expect(deepHeading).toBeVisible();

    // The treemap says what it shows; its colours follow the sizes (tiles
    // of different sizes, different fills), themed from JupyterLab's colours.
    const largest = await topRows(page).first().getAttribute('data-name');
    await sidebar.locator('.jp-MemlensVariables-view').click();
    await expect(
      sidebar.locator('.jp-MemlensVariables-treemapCaption')
    ).toContainText('Retained bytes');
    const tiles = sidebar.locator('.jp-MemlensVariables-treemap path.surface');
    await expect(tiles.first()).toBeVisible({ timeout: 30000 });
    const fills = await tiles.evaluateAll(nodes =>
      nodes.map(node => getComputedStyle(node).fill)
    );
    expect(new Set(fills).size).toBeGreaterThan(2);
    // The largest variable's tile is the darkest (light theme): luminance of
    // each tile's fill, by the name it shows.
    const shades = await sidebar
      .locator('.jp-MemlensVariables-treemap g.slice')
      .evaluateAll(slices =>
        slices.map(slice => {
          const fill = getComputedStyle(
            slice.querySelector('path.surface')!
          ).fill;
          const [r, g, b] = (fill.match(/\d+(\.\d+)?/g) ?? []).map(Number);
          const name =
            slice.querySelector('text')?.textContent?.split(/\s/)[0] ?? '';
          return { name, luminance: 0.2126 * r + 0.7152 * g + 0.0722 * b };
        })
      );
    const tilesOnly = shades.filter(shade => shade.name !== 'namespace');
    const darkest = tilesOnly.reduce((a, b) =>
      b.luminance < a.luminance ? b : a
    );
    expect(largest).not.toBeNull();
    expect(darkest.name.startsWith(largest!)).toBe(true);

    // The Cells chart: bars and a line on two labelled axes; a click on a
    // bar selects its cell.
    await sidebar.locator('.jp-MemlensCells-view').click();
    const chart = sidebar.locator('.jp-MemlensCells-chart');
    await expect(chart.locator('.main-svg').first()).toBeVisible({
      timeout: 30000
    });
    await expect(chart).toContainText('Δ RSS (bytes)');
    await expect(chart).toContainText('RSS (bytes)');
    const bars = chart.locator('.bars .point path');
    await expect(bars).toHaveCount(5);
    // The log-loading cell's bar: the tallest, so easy to hit.
    await bars.nth(3).click({ force: true });
    await expect
      .poll(() =>
        page.evaluate(
          () =>
            (
              window.jupyterapp.shell.currentWidget as unknown as {
                content: { activeCellIndex: number };
              }
            ).content.activeCellIndex
        )
      )
      .toBe(cellWith('log = LogFile(path)'));
    expect(errors).toEqual([]);
  });
});
