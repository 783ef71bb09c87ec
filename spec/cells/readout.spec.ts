import {
  badgeLevel,
  badgeText,
  badgeTooltip,
  peakAbove,
  rssDelta
} from '../../src/cells/readout';
import { parseCellRecord, type ICellRecord } from '../../src/wire/protocol';
import { cellRecord } from '../replies';

const MIB = 1024 * 1024;

function record(overrides: Record<string, unknown> = {}): ICellRecord {
  return parseCellRecord(cellRecord(1, 'c1', overrides));
}

describe('badge readout', () => {
  it('says RSS change, peak above the start and duration', () => {
    const r = record({
      rss_before: 100 * MIB,
      rss_after: Math.round(220.4 * MIB),
      rss_peak: 401 * MIB,
      duration_s: 1.24
    });
    expect(rssDelta(r)).toBe(Math.round(220.4 * MIB) - 100 * MIB);
    expect(peakAbove(r)).toBe(301 * MIB);
    expect(badgeText(r, 'binary')).toBe(
      'RSS +120.4 MiB · peak +301.0 MiB · 1.24 s'
    );
  });

  it('marks a sampled peak as approximate and omits an unmeasured one', () => {
    const base = {
      rss_before: 0,
      rss_after: 0,
      rss_peak: 2 * MIB,
      duration_s: 0.5
    };
    expect(
      badgeText(record({ ...base, peak_method: 'sampled' }), 'binary')
    ).toBe('RSS ±0 B · peak ≈+2.0 MiB · 500 ms');
    expect(badgeText(record({ ...base, peak_method: 'none' }), 'binary')).toBe(
      'RSS ±0 B · 500 ms'
    );
  });

  it('shows decimal units when asked', () => {
    const r = record({
      rss_before: 0,
      rss_after: 5_000_000,
      rss_peak: 5_000_000
    });
    expect(badgeText(r, 'decimal')).toContain('RSS +5.0 MB');
  });

  it('colours by the larger of change and peak', () => {
    const small = record({ rss_before: 0, rss_after: MIB, rss_peak: MIB });
    const peaky = record({
      rss_before: 0,
      rss_after: MIB,
      rss_peak: 150 * MIB
    });
    const huge = record({
      rss_before: 0,
      rss_after: 2048 * MIB,
      rss_peak: 2048 * MIB
    });
    expect(badgeLevel(small, 100, 1024)).toBe('normal');
    expect(badgeLevel(peaky, 100, 1024)).toBe('warn');
    expect(badgeLevel(huge, 100, 1024)).toBe('alert');
  });

  it('puts the whole record in the tooltip', () => {
    const r = record({
      python_delta: 10 * MIB,
      native_delta: -MIB,
      allocator_free_delta: 3 * MIB,
      output_cache_delta: 0,
      precise: {
        python_delta: 4096,
        python_peak: 8192,
        top: [{ file: '<cell>', line: 3, size: 4096, count: 2 }]
      }
    });
    const tip = badgeTooltip(r, 'binary');
    expect(tip).toContain('Execution 7');
    expect(tip).toContain('(live Python objects and malloc)   +10.0 MiB');
    expect(tip).toContain('untouched pages)   -1.0 MiB');
    expect(tip).toContain('(fragmentation)   +3.0 MiB');
    expect(tip).toContain('output cache (Out, _): ±0 B');
    // Plain words first, the technical names on the line under it.
    expect(tip).toContain(
      "above the start), exact: the kernel's high-water mark, reset at the cell's start\n  (VmHWM of /proc/self/status, reset through /proc/self/clear_refs)"
    );
    expect(tip).toContain('<cell>:3  4.0 KiB in 2 blocks');
  });

  it('names a sampled peak in plain words, its source under it, and no source for none', () => {
    const sampled = badgeTooltip(
      record({ peak_method: 'sampled', sample_interval_s: 0.01 }),
      'binary'
    );
    expect(sampled).toContain(
      'sampled every 10 ms: short spikes can be missed\n  (RSS from /proc/self/statm'
    );
    const none = badgeTooltip(
      record({ peak_method: 'none', rss_peak: null }),
      'binary'
    );
    expect(none).toContain('not measured on this platform\n\n');
    expect(none).not.toContain('/proc');
  });

  it('says when a cell raised', () => {
    expect(badgeTooltip(record({ success: false }), 'binary')).toContain(
      'raised an error'
    );
  });
});
