import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { CellHistoryModel } from '../../src/cells/model';
import { parseCellRecord } from '../../src/wire/protocol';
import { SettingsModel } from '../../src/common/settings';
import { CellsSection } from '../../src/cells/section';
import { cellRecord } from '../replies';

const MIB = 1024 * 1024;

function record(seq: number, cellId: string, rssAfter: number) {
  return parseCellRecord(
    cellRecord(seq, cellId, {
      execution_count: seq,
      preview: `cell ${cellId}`,
      rss_before: 100 * MIB,
      rss_after: rssAfter,
      rss_peak: Math.max(rssAfter, 100 * MIB)
    })
  );
}

describe('CellsSection', () => {
  it('lists the history newest first, marks restarts and selects cells on click', () => {
    const selected: string[] = [];
    const section = new CellsSection({
      settings: new SettingsModel(),
      onSelect: id => selected.push(id)
    });
    Widget.attach(section, document.body);
    const history = new CellHistoryModel();
    history.follow(1);
    history.add([record(1, 'a', 160 * MIB), record(2, 'b', 100 * MIB)], false);
    history.follow(2);
    history.add([record(1, 'c', 90 * MIB)], false);
    section.model = history;
    MessageLoop.flush();

    const rows = [...section.node.querySelectorAll('tbody tr')];
    expect(rows.map(row => row.className)).toEqual([
      'jp-MemlensCells-row',
      'jp-MemlensCells-restart',
      'jp-MemlensCells-row',
      'jp-MemlensCells-row'
    ]);
    const texts = rows.map(row =>
      [...row.querySelectorAll('td')].map(td => td.textContent)
    );
    expect(texts[0].slice(0, 3)).toEqual(['[1]', 'cell c', '-10.0 MiB']);
    expect(texts[3].slice(0, 3)).toEqual(['[1]', 'cell a', '+60.0 MiB']);
    expect(texts[1][0]).toContain('Kernel restarted');

    (rows[3] as HTMLElement).click();
    expect(selected).toEqual(['a']);
    Widget.detach(section);
    section.dispose();
  });

  it('does not render while hidden', () => {
    const section = new CellsSection({
      settings: new SettingsModel(),
      onSelect: () => undefined
    });
    const history = new CellHistoryModel();
    history.follow(1);
    history.add([record(1, 'a', 100 * MIB)], false);
    section.model = history;
    MessageLoop.sendMessage(section, Widget.Msg.UpdateRequest);
    expect(section.node.querySelectorAll('tr')).toHaveLength(0);
    section.dispose();
  });
});
