import {
  escapePlotly,
  sizeColourscale,
  treemapData
} from '../../src/variables/treemap';
import type { IVariableRow } from '../../src/wire/protocol';

function row(name: string, type: string, retained: number): IVariableRow {
  return {
    name,
    type,
    shape: null,
    getsizeof: 56,
    deep: retained,
    retained,
    partial: false,
    flags: [],
    expandable: false
  };
}

describe('treemapData (issue #12 item 13)', () => {
  it('keeps a variable named namespace apart from the root', () => {
    const data = treemapData(
      [row('namespace', 'list', 100), row('x', 'dict', 50)],
      'binary'
    );
    expect(new Set(data.ids).size).toBe(data.ids.length);
    expect(data.labels).toEqual(['namespace', 'namespace', 'x']);
    expect(data.parents[0]).toBe('');
    expect(data.parents.slice(1)).toEqual([data.ids[0], data.ids[0]]);
    expect(data.values).toEqual([0, 100, 50]);
  });

  it('shows names and types as text, never as markup', () => {
    const name = '<a href="javascript:alert(1)">x</a>';
    const type = '<span style="color:red">evil</span>';
    const data = treemapData([row(name, type, 10)], 'binary');
    for (const text of [...data.labels, ...data.text]) {
      expect(text).not.toMatch(/<(a|span)\b/);
    }
    expect(data.labels[1]).toBe(escapePlotly(name));
    expect(
      data.text[1].startsWith('&lt;span style=&quot;color:red&quot;&gt;evil')
    ).toBe(true);
  });

  it('leaves out rows that retain nothing', () => {
    expect(treemapData([row('a', 'int', 0)], 'binary').ids).toHaveLength(1);
  });
});

describe('treemap colours (issue #13)', () => {
  it('colours each tile by its retained bytes, so the biggest is the darkest', () => {
    const data = treemapData(
      [
        row('small', 'int', 10),
        row('big', 'list', 1000),
        row('mid', 'dict', 100)
      ],
      'binary'
    );
    expect(data.colors).toEqual(data.values);
    const big = data.labels.indexOf('big');
    expect(data.colors[big]).toBe(Math.max(...data.colors));
  });

  it('runs the scale from the background to the brand colour', () => {
    expect(sizeColourscale('#eeeeee', '#1976d2')).toEqual([
      [0, '#eeeeee'],
      [1, '#1976d2']
    ]);
  });
});
