import {
  closePopover,
  makePopoverButton,
  popoverLines
} from '../../src/cells/popover';

const TEXT = [
  'Execution 4 · 1.24 s',
  '',
  'The RSS change is made of:',
  '  heap in use (live Python objects and malloc)   +120.0 MiB',
  '  held free by the allocators (fragmentation)   -3.0 KiB'
].join('\n');

describe('popoverLines', () => {
  it('splits a label from its number at two or more spaces, keeping indents and blanks', () => {
    expect(popoverLines(TEXT)).toEqual([
      { label: 'Execution 4 · 1.24 s', value: '', indent: false },
      { label: '', value: '', indent: false },
      { label: 'The RSS change is made of:', value: '', indent: false },
      {
        label: 'heap in use (live Python objects and malloc)',
        value: '+120.0 MiB',
        indent: true
      },
      {
        label: 'held free by the allocators (fragmentation)',
        value: '-3.0 KiB',
        indent: true
      }
    ]);
  });
});

describe('makePopoverButton', () => {
  function setup(): { cell: HTMLElement; badge: HTMLElement } {
    const cell = document.createElement('div');
    const badge = document.createElement('div');
    cell.append(badge);
    document.body.append(cell);
    makePopoverButton(badge, () => TEXT);
    return { cell, badge };
  }

  afterEach(() => {
    closePopover();
    document.body.replaceChildren();
  });

  it('is a focusable button that opens from the keyboard and closes on Escape', () => {
    const { cell, badge } = setup();
    expect(badge.getAttribute('role')).toBe('button');
    expect(badge.tabIndex).toBe(0);
    badge.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    const popover = cell.querySelector<HTMLElement>('.jp-MemlensPopover');
    expect(popover).not.toBeNull();
    expect(badge.getAttribute('aria-expanded')).toBe('true');
    expect(document.activeElement).toBe(popover);
    const values = [
      ...popover!.querySelectorAll('.jp-MemlensPopover-value')
    ].map(node => node.textContent);
    expect(values).toEqual(['+120.0 MiB', '-3.0 KiB']);
    popover!.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Escape', bubbles: true })
    );
    expect(cell.querySelector('.jp-MemlensPopover')).toBeNull();
    expect(badge.getAttribute('aria-expanded')).toBe('false');
    expect(document.activeElement).toBe(badge);
  });

  it('toggles on click and closes on a click elsewhere', () => {
    const { cell, badge } = setup();
    badge.click();
    expect(cell.querySelector('.jp-MemlensPopover')).not.toBeNull();
    badge.click();
    expect(cell.querySelector('.jp-MemlensPopover')).toBeNull();
    badge.click();
    document.body.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }));
    expect(cell.querySelector('.jp-MemlensPopover')).toBeNull();
  });
});
