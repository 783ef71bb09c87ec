import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { NotebookPanel } from '@jupyterlab/notebook';

import type { SettingsModel } from '../common/settings';
import type { MemlensService } from '../connection/service';
import { RssStatusItem } from '../kernel/statusItem';

/** The toolbar item's name (also its `data-jp-item-name`). */
export const TOOLBAR_ITEM = 'memlens-rss';

/** The toolbar item it follows: the spacer, so the readout sits at the right, by the kernel name. */
const AFTER_ITEM = 'spacer';

/**
 * The kernel's RSS in each notebook's toolbar, for a shell without a status
 * bar (Notebook 7): the status bar's readout, the same numbers, one item per
 * notebook following that notebook's own kernel. A click opens the Memory panel.
 */
export function addToolbarReadout(
  app: JupyterFrontEnd,
  options: addToolbarReadout.IOptions
): void {
  app.docRegistry.addWidgetExtension('Notebook', {
    createNew: (panel: NotebookPanel) => {
      const item = new RssStatusItem({
        settings: options.settings,
        onClick: options.onClick
      });
      item.addClass('jp-MemlensToolbarReadout');
      item.setConnection(options.service.connectionFor(panel));
      if (!panel.toolbar.insertAfter(AFTER_ITEM, TOOLBAR_ITEM, item)) {
        panel.toolbar.addItem(TOOLBAR_ITEM, item);
      }
      // The toolbar disposes the item with the panel.
    }
  });
}

/** addToolbarReadout's options. */
export namespace addToolbarReadout {
  export interface IOptions {
    service: MemlensService;
    settings: SettingsModel;
    /** Opens the Memory panel. */
    onClick: () => void;
  }
}
