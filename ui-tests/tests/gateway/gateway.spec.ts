/**
 * memlens with the kernel on a Jupyter Kernel Gateway (playwright.gateway.config.js):
 * the kernel runs in the gateway's process tree, JupyterLab only relays its
 * messages. Badges, Cells and Variables all go over the comm.
 */
import { expect, test } from '@jupyterlab/galata';

import {
  badge,
  collectConsoleErrors,
  demoCell,
  fact,
  openDemo
} from '../helpers';

test.use({ kernels: null });

/**
 * Jupyter Server's gateway connection answers the kernel websocket in the
 * legacy protocol by design (gateway/connections.py), so Chromium logs each
 * kernel connection's first handshake, in v1, as failed; JupyterLab then
 * connects in the legacy protocol. Nothing of memlens is involved.
 */
const LEGACY_HANDSHAKE =
  /^WebSocket connection to 'ws:\/\/localhost:\d+\/api\/kernels\/[\w-]+\/channels\?session_id=[\w-]+' failed: Error during WebSocket handshake: Sent non-empty 'Sec-WebSocket-Protocol' header but no response was received$/;

test.describe('Through a kernel gateway', () => {
  let errors: string[] = [];

  test.beforeEach(async ({ page }) => {
    errors = collectConsoleErrors(page);
  });

  test.afterEach(() => {
    expect(errors.filter(error => !LEGACY_HANDSHAKE.test(error))).toEqual([]);
  });

  test('badges, Cells and Variables work on a remote kernel', async ({
    page,
    request,
    tmpPath
  }) => {
    // The server really forwards kernels to the gateway.
    const gateway = process.env.MEMLENS_GATEWAY_URL;
    expect(gateway).toBeTruthy();

    await openDemo(page, tmpPath);
    await expect(fact(page, 'rss')).toHaveText(/[\d.]+ (MiB|GiB)/);

    const remote = await request.get(`${gateway}/api/kernels`);
    expect(remote.ok()).toBe(true);
    const kernels = (await remote.json()) as Array<{ id: string }>;
    expect(kernels).toHaveLength(1);
    const local = await request.get('/api/sessions');
    const sessions = (await local.json()) as Array<{ kernel: { id: string } }>;
    expect(sessions.map(s => s.kernel.id)).toContain(kernels[0].id);

    const setup = demoCell('setup');
    const lists = demoCell('twoLists');
    await page.notebook.runCell(setup, true);
    await page.notebook.runCell(lists, true);

    await expect(badge(page, setup)).toHaveText(/^RSS /, { timeout: 30000 });
    await expect(badge(page, lists)).toHaveText(/^RSS /);

    const rows = page.locator('.jp-MemlensCells-row');
    await expect(rows).toHaveCount(2);
    await expect(rows.first()).toContainText('list_1 = [1, 2, 3, 4]');

    const list1 = page.locator(
      '.jp-MemlensVariables-row[data-depth="0"][data-name="list_1"]'
    );
    await expect(list1).toBeVisible({ timeout: 30000 });
    await expect(list1.locator('td[data-key="getsizeof"]')).toHaveText('88 B');
  });
});
