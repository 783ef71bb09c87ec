import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ICommandPalette } from '@jupyterlab/apputils';

import type { SettingsModel } from '../common/settings';
import type { MemlensService } from '../connection/service';
import { toCsv, toHtml, toJson, type IReportMeta } from './report';

/** How long a downloaded report's object URL is kept before it is revoked, in ms. */
const OBJECT_URL_LIFETIME_MS = 10000;

/** The export commands' ids, one per format. */
export namespace ExportCommandIDs {
  export const csv = 'memlens:export-csv';
  export const json = 'memlens:export-json';
  export const html = 'memlens:export-html';
}

/** One export format: its command, label, file extension and MIME type. */
interface IFormat {
  id: string;
  label: string;
  extension: 'csv' | 'json' | 'html';
  type: string;
}

const FORMATS: IFormat[] = [
  {
    id: ExportCommandIDs.csv,
    label: 'CSV',
    extension: 'csv',
    type: 'text/csv'
  },
  {
    id: ExportCommandIDs.json,
    label: 'JSON',
    extension: 'json',
    type: 'application/json'
  },
  {
    id: ExportCommandIDs.html,
    label: 'HTML Page',
    extension: 'html',
    type: 'text/html'
  }
];

/** Add the commands that download the active notebook's cell report. */
export function addExportCommands(
  app: JupyterFrontEnd,
  service: MemlensService,
  settings: SettingsModel,
  palette: ICommandPalette | null
): void {
  for (const format of FORMATS) {
    app.commands.addCommand(format.id, {
      label: `Export Cell Memory Report (${format.label})`,
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
          format.extension === 'csv'
            ? toCsv(entries)
            : format.extension === 'json'
              ? toJson(entries, meta)
              : toHtml(
                  entries,
                  meta,
                  settings.value.units,
                  connection.variables.model.body?.rows ?? null
                );
        const base = (meta.notebook.split('/').pop() ?? 'notebook').replace(
          /\.ipynb$/,
          ''
        );
        Private.download(
          `${base}-memory.${format.extension}`,
          text,
          format.type
        );
      }
    });
    palette?.addItem({ command: format.id, category: 'memlens' });
  }
}

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
    setTimeout(() => URL.revokeObjectURL(url), OBJECT_URL_LIFETIME_MS);
  }
}
