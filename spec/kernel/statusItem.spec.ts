import type { ISessionContext } from '@jupyterlab/apputils';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { NotebookConnection } from '../../src/connection/connection';
import { SettingsModel } from '../../src/common/settings';
import { RssStatusItem } from '../../src/kernel/statusItem';
import { FakeKernel, FakeSessionContext, settle } from '../fakeKernel';
import { answering, cellRecord } from '../replies';

function render(item: RssStatusItem): string {
  MessageLoop.sendMessage(item, Widget.Msg.UpdateRequest);
  return item.node.textContent ?? '';
}

describe('RssStatusItem', () => {
  it('shows the newer of the snapshot and the last cell, and nothing when not connected', async () => {
    const records = [
      cellRecord(1, 'a', {
        started: 1764000100,
        duration_s: 1,
        rss_after: 300 * 1024 * 1024
      })
    ];
    const kernel = new FakeKernel();
    kernel.answer = answering(5, 1024, []);
    const context = new FakeSessionContext(kernel);
    const connection = new NotebookConnection({
      sessionContext: context as unknown as ISessionContext,
      notebookName: 'a.ipynb',
      loadBootstrapCode: () => Promise.resolve('BOOT'),
      timeoutMs: 1000
    });
    const item = new RssStatusItem({
      settings: new SettingsModel(),
      onClick: () => undefined
    });
    expect(render(item)).toBe('');
    item.setConnection(connection);
    await settle();
    // hello's snapshot: 100 MiB at t = 1764000000.5
    expect(render(item)).toBe('RSS 100.0 MiB');
    kernel.answer = answering(5, 1024, records);
    await connection.pullCells();
    expect(render(item)).toBe('RSS 300.0 MiB');
    context.setStatus('dead');
    expect(render(item)).toBe('');
    item.dispose();
    connection.dispose();
  });
});
