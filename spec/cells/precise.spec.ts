import {
  badgeText,
  badgeTooltip,
  pinsMostOfIt,
  siteText
} from '../../src/cells/readout';
import { parseCellRecord } from '../../src/wire/protocol';
import { cellRecord } from '../replies';

const PRECISE = {
  python_delta: 10_000_000,
  python_peak: 12_000_000,
  top: [
    {
      file: '/tmp/ipykernel_21798/1920987778.py',
      line: 1,
      size: 10_000_000,
      count: 10_000,
      cell: 9
    },
    {
      file: '/usr/lib/python3.11/json/decoder.py',
      line: 353,
      size: 4096,
      count: 2,
      cell: null
    }
  ]
};

describe('precise mode in the readout (issue #13)', () => {
  it('names a site in a cell by cell and line, others by file and line', () => {
    expect(siteText(PRECISE.top[0])).toBe('cell [9], line 1');
    expect(siteText(PRECISE.top[1])).toBe(
      '/usr/lib/python3.11/json/decoder.py:353'
    );
    // Older kernels send no cell.
    expect(siteText({ file: '<ipython-input-4>', line: 2 })).toBe(
      '<ipython-input-4>:2'
    );
  });

  it('says on the badge that precise mode was on, and not otherwise', () => {
    const precise = parseCellRecord(
      cellRecord(1, 'a', { execution_count: 9, precise: PRECISE })
    );
    expect(badgeText(precise, 'binary')).toMatch(/ · precise$/);
    const tooltip = badgeTooltip(precise, 'binary');
    expect(tooltip).toContain('cell [9], line 1  9.5 MiB in 10000 blocks');
    expect(tooltip).not.toContain('ipykernel_21798');
    const plain = parseCellRecord(cellRecord(2, 'b', { execution_count: 10 }));
    expect(badgeText(plain, 'binary')).not.toContain('precise');
  });
});

describe('the output-cache pin on the badge line (issue #13)', () => {
  const MIB = 1024 * 1024;
  function pinned(delta: number, pin: number) {
    return parseCellRecord(
      cellRecord(3, 'c', {
        execution_count: 3,
        rss_before: 100 * MIB,
        rss_after: 100 * MIB + delta,
        rss_peak: 100 * MIB + Math.max(delta, 0),
        output_cache_delta: pin,
        output_cache_complete: true
      })
    );
  }

  it('shows the pin when it is the main part of the change', () => {
    expect(badgeText(pinned(120 * MIB, 100 * MIB), 'binary')).toContain(
      ' · Out pins +100.0 MiB'
    );
    expect(pinsMostOfIt(pinned(120 * MIB, 100 * MIB))).toBe(true);
  });

  it('leaves it in the popover when it is small or a minor part', () => {
    expect(badgeText(pinned(120 * MIB, 10 * MIB), 'binary')).not.toContain(
      'Out pins'
    );
    expect(badgeText(pinned(0, 512 * 1024), 'binary')).not.toContain(
      'Out pins'
    );
  });
});
