import {
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { BOOTSTRAP_CODE } from './kernelSource.generated';
import { MemlensService } from './service';
import { MemorySidebar } from './sidebar/panel';

/** Command ids. */
export namespace CommandIDs {
  export const openSidebar = 'memlens:open-sidebar';
  export const refresh = 'memlens:refresh';
}

const PLUGIN_ID = 'jupyterlab-memlens:plugin';

/** The Memory sidebar following the active notebook's kernel. */
export const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    "A Memory sidebar showing where the notebook kernel's memory went.",
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ISettingRegistry, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const settings = { refreshAfterCell: true };
    const service = new MemlensService({
      tracker,
      bootstrapCode: BOOTSTRAP_CODE,
      timeoutMs: 30000
    });
    const refreshActive = (): void => {
      void service.active?.refresh();
    };
    const sidebar = new MemorySidebar({
      onRefresh: refreshActive,
      onRetry: () => service.active?.reconnect(),
      onShow: refreshActive
    });
    sidebar.setModel(service.active?.model ?? null);
    service.activeChanged.connect((_, connection) => {
      sidebar.setModel(connection?.model ?? null);
      if (sidebar.isVisible) {
        void connection?.refresh();
      }
    });
    app.shell.add(sidebar, 'right', { rank: 900, type: 'Memory' });
    restorer?.add(sidebar, sidebar.id);

    NotebookActions.executed.connect((_, { notebook }) => {
      const active = service.active;
      if (
        settings.refreshAfterCell &&
        sidebar.isVisible &&
        active &&
        tracker.currentWidget?.content === notebook
      ) {
        void active.refresh();
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
    palette?.addItem({ command: CommandIDs.openSidebar, category: 'memlens' });
    palette?.addItem({ command: CommandIDs.refresh, category: 'memlens' });

    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(loaded => {
        const apply = (): void => {
          settings.refreshAfterCell = loaded.get('refreshAfterCell')
            .composite as boolean;
          service.timeoutMs = loaded.get('requestTimeoutMs')
            .composite as number;
        };
        apply();
        loaded.changed.connect(apply);
      });
    }
  }
};
