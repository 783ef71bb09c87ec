import {
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import {
  INotebookTracker,
  NotebookActions,
  type NotebookPanel
} from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';

import { NotebookBadges } from './cells/notebookBadges';
import { BOOTSTRAP_CODE } from './kernelSource.generated';
import { MemlensService } from './connection/service';
import { toCsv, toHtml, toJson, type IReportMeta } from './cells/report';
import { readSettings, SettingsModel } from './common/settings';
import { MemorySidebar } from './sidebar/panel';
import { RssStatusItem } from './kernel/statusItem';

/** Command ids. */
export namespace CommandIDs {
  export const openSidebar = 'memlens:open-sidebar';
  export const refresh = 'memlens:refresh';
  export const exportCsv = 'memlens:export-csv';
  export const exportJson = 'memlens:export-json';
  export const exportHtml = 'memlens:export-html';
}

const PLUGIN_ID = 'jupyterlab-memlens:plugin';

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
      bootstrapCode: BOOTSTRAP_CODE,
      settings
    });
    const refreshActive = (): void => {
      void service.active?.refresh();
    };

    const sidebar = new MemorySidebar({
      onRefresh: refreshActive,
      onRetry: () => service.active?.reconnect(),
      onExport: () => void app.commands.execute(CommandIDs.exportHtml),
      onShow: refreshActive,
      onSelectCell: cellId => Private.showCell(tracker.currentWidget, cellId),
      settings
    });
    sidebar.setConnection(service.active);
    service.activeChanged.connect((_, connection) => {
      sidebar.setConnection(connection);
      if (sidebar.isVisible) {
        void connection?.refresh();
      }
    });
    app.shell.add(sidebar, 'right', { rank: 900, type: 'Memory' });

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
        rank: 4,
        isActive: () => tracker.currentWidget !== null
      });
    }
    restorer?.add(sidebar, sidebar.id);

    // Badges live with each notebook panel, from its creation to its disposal.
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (panel: NotebookPanel) =>
        new NotebookBadges({
          panel,
          history: service.connectionFor(panel).history,
          settings
        })
    });

    NotebookActions.executed.connect((_, { notebook }) => {
      const connection = service.connectionForNotebook(notebook);
      if (!connection) {
        return;
      }
      void connection.pullCells();
      if (
        settings.value.refreshAfterCell &&
        sidebar.isVisible &&
        connection === service.active
      ) {
        void connection.refresh();
        sidebar.variables.refreshIfVisible();
      }
    });

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'Open Memory Panel',
      caption: 'Show the memlens Memory sidebar',
      execute: () => {
        app.shell.activateById(sidebar.id);
        refreshActive();
      }
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh Memory Readings',
      caption: "Read the active notebook kernel's memory again",
      isEnabled: () => !!service.active?.session,
      execute: refreshActive
    });
    const exports: Array<[string, string, string, string]> = [
      [CommandIDs.exportCsv, 'CSV', 'csv', 'text/csv'],
      [CommandIDs.exportJson, 'JSON', 'json', 'application/json'],
      [CommandIDs.exportHtml, 'HTML Page', 'html', 'text/html']
    ];
    for (const [id, label, extension, type] of exports) {
      app.commands.addCommand(id, {
        label: `Export Cell Memory Report (${label})`,
        caption: "Download the active notebook's per-cell memory readouts",
        isEnabled: () => (service.active?.history.entries.length ?? 0) > 0,
        execute: () => {
          const connection = service.active;
          if (!connection) {
            return;
          }
          const entries = connection.history.entries;
          const meta: IReportMeta = {
            notebook: connection.model.notebookName,
            exportedAt: new Date().toISOString()
          };
          const text =
            extension === 'csv'
              ? toCsv(entries)
              : extension === 'json'
                ? toJson(entries, meta)
                : toHtml(entries, meta, settings.value.units);
          const base = (meta.notebook.split('/').pop() ?? 'notebook').replace(
            /\.ipynb$/,
            ''
          );
          Private.download(`${base}-memory.${extension}`, text, type);
        }
      });
      palette?.addItem({ command: id, category: 'memlens' });
    }
    palette?.addItem({ command: CommandIDs.openSidebar, category: 'memlens' });
    palette?.addItem({ command: CommandIDs.refresh, category: 'memlens' });

    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(loaded => {
        settings.value = readSettings(loaded);
        loaded.changed.connect(() => {
          settings.value = readSettings(loaded);
        });
      });
    }
  }
};

namespace Private {
  /** Save text as a file through the browser's download. */
  export function download(name: string, text: string, type: string): void {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

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
