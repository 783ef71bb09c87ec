/**
 * Helpers for pages that are not JupyterLab (Notebook 7, through plain
 * Playwright): files go in through the server's contents API (the test server
 * has no token), cells run from the keyboard.
 */
import type { APIRequestContext, Page } from '@playwright/test';
import * as fs from 'fs';

/** A notebook of code cells for the given kernel (python3 unless told). */
export function codeNotebook(
  sources: string[],
  kernel = {
    name: 'python3',
    display_name: 'Python 3 (ipykernel)',
    language: 'python'
  }
): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: kernel },
    cells: sources.map((source, index) => ({
      cell_type: 'code',
      id: `cell-${index}`,
      metadata: {},
      execution_count: null,
      outputs: [],
      source
    }))
  };
}

/**
 * Put a notebook (its JSON, or a file's path) into a new folder of the server's
 * root and return its path there.
 */
export async function uploadNotebook(
  request: APIRequestContext,
  name: string,
  notebook: Record<string, unknown> | string
): Promise<string> {
  const folder = `memlens-${name}-${Date.now()}`;
  const content =
    typeof notebook === 'string'
      ? (JSON.parse(fs.readFileSync(notebook, 'utf-8')) as unknown)
      : notebook;
  const created = await request.put(`/api/contents/${folder}`, {
    data: { type: 'directory' }
  });
  if (!created.ok()) {
    throw new Error(`cannot create ${folder}: ${created.status()}`);
  }
  const path = `${folder}/${name}.ipynb`;
  const saved = await request.put(`/api/contents/${path}`, {
    data: { type: 'notebook', format: 'json', content }
  });
  if (!saved.ok()) {
    throw new Error(`cannot save ${path}: ${saved.status()}`);
  }
  return path;
}

/** Run the code cell at this index (select it, then Shift+Enter) once the kernel is idle. */
export async function runCell(page: Page, index: number): Promise<void> {
  const cell = page.locator('.jp-Notebook .jp-Cell').nth(index);
  await cell.locator('.jp-InputArea-editor').click();
  await page.keyboard.press('Shift+Enter');
  await cell
    .locator('.jp-InputArea-prompt')
    .filter({ hasText: /\[\d+\]/ })
    .waitFor({ timeout: 60000 });
}
