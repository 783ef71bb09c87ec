/**
 * A notebook on a kernel that is not Python (bash_kernel, its kernelspec
 * installed into the test venv by `./dev test ui`): memlens says so in the
 * Memory panel, sends the kernel no Python, and puts no badge under its cells.
 */
import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { badge, collectConsoleErrors, openSidebar, status } from './helpers';
import { codeNotebook } from './plainPage';

test.use({ kernels: null });

const BASH = { name: 'bash', display_name: 'Bash', language: 'bash' };

test.describe('A non-Python kernel', () => {
  let errors: string[] = [];

  test.beforeEach(async ({ page }) => {
    errors = collectConsoleErrors(page);
  });

  test.afterEach(() => {
    expect(errors).toEqual([]);
  });

  test('shows the "not a Python kernel" state and no badges', async ({
    page,
    tmpPath
  }) => {
    const local = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-bash-')),
      'bash.ipynb'
    );
    fs.writeFileSync(
      local,
      JSON.stringify(codeNotebook(['echo "hello from $0"'], BASH))
    );
    await page.contents.uploadFile(local, `${tmpPath}/bash.ipynb`);
    await page.notebook.open('bash.ipynb');
    await openSidebar(page);

    await expect(status(page)).toHaveAttribute('data-state', 'unsupported', {
      timeout: 60000
    });
    await expect(status(page)).toContainText('Not a Python kernel');
    await expect(status(page)).toContainText('(bash)');

    await page.notebook.runCell(0, true);
    const cell = page
      .locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')
      .first();
    await expect(cell.locator('.jp-OutputArea-output')).toContainText(
      'hello from'
    );
    // Execution count 1: memlens ran nothing in the kernel's history.
    await expect(cell.locator('.jp-InputArea-prompt')).toHaveText('[1]:');
    await expect(badge(page, 0)).toHaveCount(0);
    // Still the same clear state after a cell ran.
    await expect(status(page)).toHaveAttribute('data-state', 'unsupported');
  });
});
