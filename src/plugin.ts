import {
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';

import { addExportCommands, ExportCommandIDs } from './cells/exportCommands';
import { NotebookBadges } from './cells/notebookBadges';
import { readSettings, SettingsModel } from './common/settings';
import { MemlensService } from './connection/service';
import { RssStatusItem } from './kernel/statusItem';
import { addToolbarReadout } from './notebook/toolbarReadout';
import { MemorySidebar } from './sidebar/panel';
import { loadBootstrapCode } from './wire/bootstrap';

/** Command ids. */
export namespace CommandIDs {
  export const openSidebar = 'memlens:open-sidebar';
  export const refresh = 'memlens:refresh';
  export const exportCsv = ExportCommandIDs.csv;
  export const exportJson = ExportCommandIDs.json;
  export const exportHtml = ExportCommandIDs.html;
}

const PLUGIN_ID = 'jupyterlab-memlens:plugin';

/** Where the sidebar sits among the right area's panels (higher: further down). */
const SIDEBAR_RANK = 900;

/** Where the RSS readout sits among the status bar's left items. */
const STATUS_ITEM_RANK = 4;

/** The Memory sidebar and the per-cell badges, for every notebook's kernel. */
export const memlensPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    "A Memory sidebar and per-cell badges showing where the notebook kernel's memory went.",
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ISettingRegistry, ILayoutRestorer, IStatusBar],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null,
    statusBar: IStatusBar | null
  ): void => {
    const settings = new SettingsModel();
    const service = new MemlensService({
      tracker,
      loadBootstrapCode,
      settings
    });

    const sidebar = new MemorySidebar({
      onRefresh: () => void app.commands.execute(CommandIDs.refresh),
      onRetry: () => service.active?.reconnect(),
      onExport: () => void app.commands.execute(CommandIDs.exportHtml),
      onSelectCell: cellId => Private.showCell(tracker.currentWidget, cellId),
      settings
    });
    sidebar.setConnection(service.active);
    service.activeChanged.connect((_, connection) =>
      sidebar.setConnection(connection)
    );
    app.shell.add(sidebar, 'right', { rank: SIDEBAR_RANK, type: 'Memory' });
    restorer?.add(sidebar, sidebar.id);

    if (statusBar) {
      const item = new RssStatusItem({
        settings,
        onClick: () => void app.commands.execute(CommandIDs.openSidebar)
      });
      item.setConnection(service.active);
      service.activeChanged.connect((_, connection) =>
        item.setConnection(connection)
      );
      statusBar.registerStatusItem('jupyterlab-memlens:rss', {
        item,
        align: 'left',
        rank: STATUS_ITEM_RANK,
        isActive: () => tracker.currentWidget !== null
      });
    } else {
      // No status bar (Notebook 7): the readout goes into each notebook's toolbar.
      addToolbarReadout(app, {
        service,
        settings,
        onClick: () => void app.commands.execute(CommandIDs.openSidebar)
      });
    }

    // Badges live with each notebook panel, from its creation to its disposal.
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (panel: NotebookPanel) =>
        new NotebookBadges({
          panel,
          history: service.connectionFor(panel).history,
          settings
        })
    });

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'Open Memory Panel',
      caption: 'Show the memlens Memory sidebar',
      execute: () => app.shell.activateById(sidebar.id)
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh Memory Readings',
      caption: "Read the active notebook kernel's memory again",
      isEnabled: () => !!service.active?.session,
      execute: () => service.active?.refresh()
    });
    addExportCommands(app, service, settings, palette);
    palette?.addItem({ command: CommandIDs.openSidebar, category: 'memlens' });
    palette?.addItem({ command: CommandIDs.refresh, category: 'memlens' });

    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(loaded => {
        settings.value = readSettings(loaded);
        settings.saver = (key, value) => loaded.set(key, value);
        loaded.changed.connect(() => {
          settings.value = readSettings(loaded);
        });
      });
    }
  }
};

namespace Private {
  /** Select a cell by id in the notebook and scroll it into view. */
  export function showCell(panel: NotebookPanel | null, cellId: string): void {
    if (!panel) {
      return;
    }
    const notebook = panel.content;
    const index = notebook.widgets.findIndex(cell => cell.model.id === cellId);
    if (index < 0) {
      return;
    }
    notebook.activeCellIndex = index;
    notebook.deselectAll();
    void notebook.scrollToItem(index, 'center');
  }
}
