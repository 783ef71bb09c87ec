import { Toolbar, ToolbarButton } from '@jupyterlab/apputils';
import { refreshIcon } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { memlensIcon } from '../icons';
import type { NotebookConnection } from '../handler/connection';
import type { KernelModel } from '../models/kernelModel';
import type { SettingsModel } from '../settings';
import { CellsSection } from './cellsSection';
import { KernelSection } from './kernelSection';

/**
 * The Memory sidebar: a header naming the notebook it follows, and one
 * section per concern (only Kernel so far).
 */
export class MemorySidebar extends Panel {
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

    const header = new Toolbar();
    header.addClass('jp-MemlensSidebar-header');
    header.addItem('heading', heading);
    header.addItem('spacer', Toolbar.createSpacerItem());
    header.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: 'Refresh memory readings',
        className: 'jp-MemlensSidebar-refresh',
        onClick: options.onRefresh
      })
    );

    this._onShow = options.onShow;
    this._kernel = new KernelSection({ onRetry: options.onRetry });
    this._cells = new CellsSection({
      onSelect: options.onSelectCell,
      settings: options.settings
    });
    this.addWidget(header);
    this.addWidget(this._kernel);
    this.addWidget(this._cells);
  }

  /** Show the active notebook's connection; null when no notebook is active. */
  setConnection(connection: NotebookConnection | null): void {
    const model = connection?.model ?? null;
    this._kernel.model = model;
    this._cells.model = connection?.history ?? null;
    this._model?.changed.disconnect(this._showName, this);
    this._model = model;
    model?.changed.connect(this._showName, this);
    this._showName();
  }

  dispose(): void {
    this._model?.changed.disconnect(this._showName, this);
    super.dispose();
  }

  /** The notebook's file name, its path in the tooltip. */
  private _showName(): void {
    const path = this._model?.notebookName ?? '';
    this._notebookLabel.textContent = path.split('/').pop() ?? '';
    this._notebookLabel.title = path;
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._onShow();
  }

  private _model: KernelModel | null = null;
  private _kernel: KernelSection;
  private _cells: CellsSection;
  private _onShow: () => void;
  private _notebookLabel: HTMLSpanElement;
}

/** MemorySidebar's options. */
export namespace MemorySidebar {
  export interface IOptions {
    /** Ask the active notebook's kernel for fresh readings. */
    onRefresh: () => void;
    /** Connect again after an error. */
    onRetry: () => void;
    /** The sidebar became visible: readings may be stale. */
    onShow: () => void;
    /** Show the cell with this id in the active notebook. */
    onSelectCell: (cellId: string) => void;
    settings: SettingsModel;
  }
}
