import { MIB } from '../../src/common/constants';
import { DEFAULT_SETTINGS } from '../../src/common/settings';
import { isTrivial } from '../../src/cells/badgeSize';
import type { ICellRecord } from '../../src/wire/protocol';
import { readFileSync } from 'fs';
import { join } from 'path';

function record(
  delta: number,
  peak: number,
  extra: Partial<ICellRecord> = {}
): ICellRecord {
  const before = 200 * MIB;
  return {
    rss_before: before,
    rss_after: before + delta,
    rss_peak: before + peak,
    peak_method: 'exact',
    success: true,
    ...extra
  } as ICellRecord;
}

describe('isTrivial', () => {
  it('is true when the change and the peak are both under the size', () => {
    expect(isTrivial(record(0, 0), 1)).toBe(true);
    expect(isTrivial(record(116 * 1024, 116 * 1024), 1)).toBe(true);
    expect(isTrivial(record(-500 * 1024, 0), 1)).toBe(true);
  });

  it('is false when either passes it, in either direction', () => {
    expect(isTrivial(record(2 * MIB, 2 * MIB), 1)).toBe(false);
    expect(isTrivial(record(0, 300 * MIB), 1)).toBe(false);
    expect(isTrivial(record(-3 * MIB, 0), 1)).toBe(false);
  });

  it('never hides a failed cell, an unknown change, or with the setting at 0', () => {
    expect(isTrivial(record(0, 0, { success: false }), 1)).toBe(false);
    expect(isTrivial(record(0, 0, { rss_after: null }), 1)).toBe(false);
    expect(isTrivial(record(0, 0), 0)).toBe(false);
  });

  it('ignores the peak where none was measured', () => {
    expect(isTrivial(record(0, 300 * MIB, { peak_method: 'none' }), 1)).toBe(
      true
    );
  });

  it('defaults to 1 MiB, as the settings schema says', () => {
    const schema = JSON.parse(
      readFileSync(
        join(__dirname, '..', '..', 'schema', 'plugin.json'),
        'utf-8'
      )
    ) as { properties: Record<string, { default: unknown }> };
    expect(schema.properties.hideBadgesUnderMiB.default).toBe(1);
    expect(DEFAULT_SETTINGS.hideBadgesUnderMiB).toBe(1);
  });
});
