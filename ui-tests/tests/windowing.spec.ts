import {
  expect,
  galata,
  test,
  type IJupyterLabPageFixture
} from '@jupyterlab/galata';

import { badge, collectConsoleErrors, demoCell, openDemo } from './helpers';

const SETUP = demoCell('setup');
const LAST = demoCell('cleanUp');

// Full windowing: cells scrolled out of view are detached from the page.
test.use({
  kernels: null,
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    '@jupyterlab/notebook-extension:tracker': {
      ...galata.DEFAULT_SETTINGS['@jupyterlab/notebook-extension:tracker'],
      windowingMode: 'full'
    }
  }
});

async function scrollTo(
  page: IJupyterLabPageFixture,
  index: number
): Promise<void> {
  await page.evaluate(async i => {
    const panel = window.jupyterapp.shell.currentWidget as unknown as {
      content: { scrollToItem(index: number, align: string): Promise<void> };
    };
    await panel.content.scrollToItem(i, 'start');
  }, index);
}

test('badges survive windowing, follow moved cells and leave with deleted ones', async ({
  page,
  tmpPath
}) => {
  const errors = collectConsoleErrors(page);
  await openDemo(page, tmpPath);
  await page.notebook.runCell(SETUP, true);
  const text = (await badge(page, SETUP).innerText()).trim();
  expect(text).toMatch(/^RSS /);

  // Far away (only distant cells are rendered, none with a badge) and back: the
  // re-attached cell shows its badge again.
  await scrollTo(page, LAST);
  await expect(badge(page, SETUP)).toHaveCount(0);
  await scrollTo(page, SETUP);
  await expect(badge(page, SETUP)).toHaveText(text);

  // Moved down one place: the badge travels with its cell.
  await page.notebook.selectCells(SETUP);
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('notebook:move-cell-down')
  );
  await expect(badge(page, SETUP + 1)).toHaveText(text);
  await expect(badge(page, SETUP)).toHaveCount(0);

  // Deleted: no badge left anywhere.
  await page.notebook.selectCells(SETUP + 1);
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('notebook:delete-cell')
  );
  await expect(
    page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-MemlensBadge')
  ).toHaveCount(0);
  expect(errors).toEqual([]);
});
