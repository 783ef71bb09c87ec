import { ToolbarButton } from '@jupyterlab/apputils';
import {
  downloadIcon,
  refreshIcon,
  SidePanel
} from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import type { NotebookConnection } from '../connection/connection';
import { memlensIcon } from '../common/icons';
import type { KernelModel } from '../kernel/model';
import type { SettingsModel } from '../common/settings';
import { CellsSection } from '../cells/section';
import { KernelSection } from '../kernel/section';
import { VariablesSection } from '../variables/section';

/**
 * The Memory sidebar: a header naming the notebook it follows, and one
 * collapsible section per concern. Sections render only while expanded. It
 * tells the connection it follows whether it is visible; the connection
 * decides when to read memory again.
 */
export class MemorySidebar extends SidePanel {
  constructor(options: MemorySidebar.IOptions) {
    super();
    this.id = 'jp-memlens-sidebar';
    this.addClass('jp-MemlensSidebar');
    this.title.icon = memlensIcon;
    this.title.caption = 'Memory (memlens)';

    const heading = new Widget();
    heading.addClass('jp-MemlensSidebar-heading');
    const title = document.createElement('h2');
    title.className = 'jp-MemlensSidebar-title';
    title.textContent = 'Memory';
    this._notebookLabel = document.createElement('span');
    this._notebookLabel.className = 'jp-MemlensSidebar-notebook';
    heading.node.append(title, this._notebookLabel);
    this.header.addWidget(heading);

    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: 'Refresh memory readings',
        className: 'jp-MemlensSidebar-refresh',
        onClick: options.onRefresh
      })
    );
    this.toolbar.addItem(
      'export',
      new ToolbarButton({
        icon: downloadIcon,
        tooltip: 'Export the cell memory report (HTML page)',
        className: 'jp-MemlensSidebar-export',
        onClick: options.onExport
      })
    );

    this._kernel = new KernelSection({
      onRetry: options.onRetry,
      settings: options.settings
    });
    this._kernel.title.label = 'Kernel';
    this._cells = new CellsSection({
      onSelect: options.onSelectCell,
      settings: options.settings
    });
    this._cells.title.label = 'Cells';
    this._variables = new VariablesSection({ settings: options.settings });
    this._variables.title.label = 'Variables';
    this.addWidget(this._kernel);
    this.addWidget(this._cells);
    this.addWidget(this._variables);
  }

  /** Show the active notebook's connection; null when no notebook is active. */
  setConnection(connection: NotebookConnection | null): void {
    if (this._connection) {
      this._connection.isActive = false;
    }
    this._connection = connection;
    this._tellVisibility();
    const model = connection?.model ?? null;
    this._kernel.model = model;
    this._cells.model = connection?.history ?? null;
    this._cells.variables = connection?.variables ?? null;
    this._variables.fetcher = connection?.variables ?? null;
    this._model?.changed.disconnect(this._showName, this);
    this._model = model;
    model?.changed.connect(this._showName, this);
    this._showName();
  }

  dispose(): void {
    this.setConnection(null);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._tellVisibility();
  }

  protected onBeforeDetach(msg: Message): void {
    if (this._connection) {
      this._connection.isActive = false;
    }
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._tellVisibility();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._tellVisibility();
  }

  /** The connection reads memory again only while someone can see it. */
  private _tellVisibility(): void {
    if (this._connection) {
      this._connection.isActive = this.isVisible;
    }
  }

  /** The notebook's file name, its path in the tooltip. */
  private _showName(): void {
    const path = this._model?.notebookName ?? '';
    this._notebookLabel.textContent = path.split('/').pop() ?? '';
    this._notebookLabel.title = path;
  }

  private _connection: NotebookConnection | null = null;
  private _model: KernelModel | null = null;
  private _kernel: KernelSection;
  private _cells: CellsSection;
  private _variables: VariablesSection;
  private _notebookLabel: HTMLSpanElement;
}

/** MemorySidebar's options. */
export namespace MemorySidebar {
  export interface IOptions {
    /** Ask the active notebook's kernel for fresh readings. */
    onRefresh: () => void;
    /** Connect again after an error. */
    onRetry: () => void;
    /** Download the cell report. */
    onExport: () => void;
    /** Show the cell with this id in the active notebook. */
    onSelectCell: (cellId: string) => void;
    settings: SettingsModel;
  }
}
