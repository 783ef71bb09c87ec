import { expect, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { ConsoleMessage, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

export const DEMO = 'memory_puzzles.ipynb';
export const DEMO_SOURCE = path.resolve(
  __dirname,
  '..',
  '..',
  'examples',
  DEMO
);

/**
 * A text that appears in exactly one cell of the demo notebook, for each cell the
 * tests use: tests find cells by what they hold, so editing the notebook (a cell
 * added, moved or split) cannot silently point a test at another cell.
 */
export const DEMO_CELLS = {
  /** The first code cell: imports and `rss_mib()`. */
  setup: 'def rss_mib():',
  /** Puzzle 1's heading, a markdown cell. */
  puzzle1Heading: '## Puzzle 1: RSS stays up after `del`',
  /** Writes the 114 MiB log file. */
  writeLog: 'N_LINES = 1_200_000',
  /** The script version: reads ~190 MiB of lines and drops most of them. */
  scriptVersion: 'lines, errors = [], []',
  /** Puzzle 2: two lists of four items that getsizeof calls equal. */
  twoLists: 'list_1 = [1, 2, 3, 4]',
  /** The last cell: removes the log file. */
  cleanUp: 'os.remove(path)'
} as const;

/** Which demo cell: a key of DEMO_CELLS. */
export type DemoCell = keyof typeof DEMO_CELLS;

/** JupyterLab's default (and minimum) sidebar width, in px. */
export const SIDEBAR_PX = 250;

/** The index of the one demo cell whose source contains DEMO_CELLS[name]. */
export function demoCell(name: DemoCell): number {
  return cellWith(DEMO_CELLS[name]);
}

/** The index of the one demo cell whose source contains `text`. */
export function cellWith(text: string): number {
  const notebook = JSON.parse(fs.readFileSync(DEMO_SOURCE, 'utf-8')) as {
    cells: Array<{ source: string | string[] }>;
  };
  const found = notebook.cells.flatMap((cell, index) => {
    const source = Array.isArray(cell.source)
      ? cell.source.join('')
      : cell.source;
    return source.includes(text) ? [index] : [];
  });
  if (found.length !== 1) {
    throw new Error(
      `${JSON.stringify(text)} is in ${found.length} cells of ${DEMO}, not one`
    );
  }
  return found[0];
}

/**
 * JupyterLab's and Notebook 7's own errors, raised and thrown entirely inside
 * their core bundle, that a test can meet through no doing of memlens:
 * - the debugger's `debug_request` is cancelled when a kernel restarts while
 *   JupyterLab asks it for debug info;
 * - the debugger's module list, on a kernel without a debugger (bash_kernel),
 *   says "No active debugger session" (seen with memlens disabled too);
 * - Notebook 7.6.3's shortcuts plugin reads the schema of a plugin its settings
 *   registry has not loaded (seen with memlens disabled too).
 */
const CORE_ERRORS: Array<{ message: RegExp; bundle: RegExp }> = [
  {
    message: /^Error: Canceled future for debug_request message/,
    bundle: /jlab_core/
  },
  {
    message: /^Error: No active debugger session/,
    bundle: /jlab_core/
  },
  {
    message:
      /^TypeError: Cannot read properties of undefined \(reading 'schema'\)/,
    bundle: /static\/notebook\/notebook_core\./
  },
  {
    // Notebook 7's router asks its file browser to open the path on a notebook
    // page that has no file browser plugin: seen only with notebook_core on the
    // stack, now and then, whatever memlens does.
    message: /^Error: Command 'filebrowser:open-path' not registered\./,
    bundle: /static\/notebook\/notebook_core\./
  }
];

/** Whether an uncaught error is one of CORE_ERRORS, with no memlens code on its stack. */
function isCoreError(error: Error): boolean {
  const stack = error.stack ?? '';
  return (
    !/memlens/i.test(stack) &&
    CORE_ERRORS.some(
      known => known.message.test(String(error)) && known.bundle.test(stack)
    )
  );
}

/** Console errors seen while a test runs; tests assert there are none. */
export function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') {
      errors.push(message.text());
    }
  });
  page.on('pageerror', error => {
    if (!isCoreError(error)) {
      errors.push(`${String(error)}\n${error.stack ?? ''}`);
    }
  });
  return errors;
}

export async function openSidebar(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('memlens:open-sidebar');
  });
  await expect(page.locator('#jp-memlens-sidebar')).toBeVisible();
}

/** What the locator helpers need: JupyterLab's page fixture or a plain page (Notebook 7). */
type AnyPage = Pick<Page, 'locator'>;

export function status(page: AnyPage) {
  return page.locator('#jp-memlens-sidebar .jp-MemlensKernel-status');
}

export function fact(page: AnyPage, key: string) {
  return page.locator(
    `#jp-memlens-sidebar .jp-MemlensKernel-value[data-key="${key}"]`
  );
}

export async function waitConnected(
  page: IJupyterLabPageFixture
): Promise<void> {
  await expect(status(page)).toHaveAttribute('data-state', 'connected', {
    timeout: 60000
  });
}

/** The badge under the cell at this index. */
export function badge(page: AnyPage, index: number) {
  return page.locator(
    `.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell:nth-child(${index + 1}) .jp-MemlensBadge`
  );
}

/** Parse `+12.3 MiB` (or KiB/GiB/B) into MiB. */
export function mib(text: string): number {
  const match = /([+-]?[\d.]+) (B|KiB|MiB|GiB)/.exec(text);
  if (!match) {
    throw new Error(`no size in ${JSON.stringify(text)}`);
  }
  const scale: Record<string, number> = {
    B: 1 / 1024 / 1024,
    KiB: 1 / 1024,
    MiB: 1,
    GiB: 1024
  };
  return parseFloat(match[1]) * scale[match[2]];
}

/** Upload the demo notebook, open it and the Memory sidebar, wait for the kernel. */
export async function openDemo(
  page: IJupyterLabPageFixture,
  tmpPath: string
): Promise<void> {
  await page.contents.uploadFile(DEMO_SOURCE, `${tmpPath}/${DEMO}`);
  await page.notebook.open(DEMO);
  await openSidebar(page);
  await waitConnected(page);
}

/**
 * Create a notebook on a fresh python3 kernel, open the Memory sidebar, wait for it to
 * connect, and fill its cells with `sources`. A test that needs no demo cell starts
 * here: its first cell is an empty code cell, not the demo's rendered markdown title.
 */
export async function newNotebook(
  page: IJupyterLabPageFixture,
  name: string,
  sources: string[]
): Promise<void> {
  await page.notebook.createNew(name, { kernel: 'python3' });
  await openSidebar(page);
  await waitConnected(page);
  for (const [index, source] of sources.entries()) {
    if (index > 0) {
      await page.notebook.addCell('code', source);
    } else {
      await page.notebook.setCell(0, 'code', source);
    }
  }
}
