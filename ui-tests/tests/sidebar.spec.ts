import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';

import {
  collectConsoleErrors,
  DEMO,
  fact,
  openSidebar,
  status,
  openDemo
} from './helpers';

/** The kernel's pid, asked of the kernel itself in a cell of the notebook. */
async function pidFromCell(page: IJupyterLabPageFixture): Promise<string> {
  const index = await page.notebook.getCellCount();
  await page.notebook.addCell('code', 'import os as _os; print(_os.getpid())');
  await page.notebook.runCell(index, true);
  const output = await page.notebook.getCellTextOutput(index);
  const pid = (output ?? []).join('').trim();
  expect(pid).toMatch(/^\d+$/);
  return pid;
}

// Galata's kernel-tracking route answers every POST under /api/kernels with
// 201, which makes JupyterLab reject a restart's 200; talk to the server directly.
test.use({ kernels: null });

test.describe('Memory sidebar', () => {
  let errors: string[] = [];

  test.beforeEach(async ({ page }) => {
    errors = collectConsoleErrors(page);
  });

  test.afterEach(() => {
    expect(errors).toEqual([]);
  });

  test('shows the kernel of the demo notebook, with its real pid and RSS', async ({
    page,
    tmpPath
  }) => {
    await openDemo(page, tmpPath);
    const pid = await pidFromCell(page);
    await expect(fact(page, 'pid')).toHaveText(pid);
    await expect(fact(page, 'rss')).toHaveText(/^\d+(\.\d)? (KiB|MiB|GiB)$/);
    await expect(fact(page, 'python')).toContainText('CPython');
    await expect(
      page.locator(
        '#jp-memlens-sidebar .jp-MemlensKernel-probe[data-probe="rss"]'
      )
    ).toHaveAttribute('data-available', 'true');
  });

  test('reconnects to the new process after a kernel restart', async ({
    page,
    tmpPath
  }) => {
    await openDemo(page, tmpPath);
    const before = await fact(page, 'pid').innerText();
    // The command resolves only once its confirmation dialog is answered.
    await page.evaluate(() => {
      void window.jupyterapp.commands.execute('notebook:restart-kernel');
    });
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await expect(fact(page, 'pid')).not.toHaveText(before, { timeout: 60000 });
    await expect(status(page)).toHaveAttribute('data-state', 'connected');
    const after = await pidFromCell(page);
    await expect(fact(page, 'pid')).toHaveText(after);
  });

  test('shows "No kernel" for a notebook without a kernel', async ({
    page
  }) => {
    await page.notebook.createNew('nokernel.ipynb', { kernel: null });
    await openSidebar(page);
    await expect(status(page)).toHaveAttribute('data-state', 'no-kernel', {
      timeout: 30000
    });
    await expect(status(page)).toContainText('No kernel');
  });

  test('follows the active notebook', async ({ page, tmpPath }) => {
    await page.notebook.createNew('other.ipynb', { kernel: null });
    await openDemo(page, tmpPath);
    await expect(page.locator('.jp-MemlensSidebar-notebook')).toContainText(
      DEMO
    );
    await page.activity.activateTab('other.ipynb');
    await expect(page.locator('.jp-MemlensSidebar-notebook')).toContainText(
      'other.ipynb'
    );
    await expect(status(page)).toHaveAttribute('data-state', 'no-kernel');
    await page.activity.activateTab(DEMO);
    await expect(status(page)).toHaveAttribute('data-state', 'connected');
  });
});
