import { badgeText, badgeTooltip } from '../../src/cells/readout';
import { popoverLines } from '../../src/cells/popover';
import { parseCellRecord, type ICellRecord } from '../../src/wire/protocol';
import { cellRecord } from '../replies';

const MIB = 1024 * 1024;

function record(overrides: Record<string, unknown> = {}): ICellRecord {
  return parseCellRecord(cellRecord(1, 'c1', overrides));
}

describe('honest bounds on the badge (issue #9)', () => {
  it('marks an output-cache pin still being sized as a lower bound', () => {
    const r = record({
      output_cache_delta: 50 * MIB,
      output_cache_complete: false
    });
    expect(badgeText(r, 'binary')).toContain('Out pins ≥ +50.0 MiB');
    expect(badgeTooltip(r, 'binary')).toContain(
      'Newly pinned by the output cache (Out, _): ≥ +50.0 MiB (cut short'
    );
  });

  it('says nothing more once the pin is complete, or from an older kernel', () => {
    const complete = record({
      output_cache_delta: 50 * MIB,
      output_cache_complete: true
    });
    expect(badgeText(complete, 'binary')).not.toContain('Out pins');
    expect(badgeTooltip(complete, 'binary')).toContain(
      'Newly pinned by the output cache (Out, _): +50.0 MiB'
    );
    expect(badgeTooltip(complete, 'binary')).not.toContain('≥');
    const older = record({ output_cache_delta: 50 * MIB });
    expect(badgeText(older, 'binary')).not.toContain('Out pins');
    expect(badgeTooltip(older, 'binary')).not.toContain('Child processes');
  });

  it("shows child processes' peak on its own line, apart from the RSS", () => {
    const r = record({ children_peak: 500 * MIB });
    const tip = badgeTooltip(r, 'binary');
    // Above 0 a lower bound (schema: the summed peak can fall between readings).
    expect(tip).toContain("Child processes' peak: ≥ 500.0 MiB");
    expect(tip).toContain('not in the RSS above');
    expect(badgeText(r, 'binary')).not.toContain('500');
    // The popover shows the tooltip's lines: the bound stays with the number.
    expect(popoverLines(tip).map(line => line.label)).toContain(
      "Child processes' peak: ≥ 500.0 MiB"
    );
  });

  it('shows no child processes as an exact 0, not as a bound', () => {
    const tip = badgeTooltip(record({ children_peak: 0 }), 'binary');
    expect(tip).toContain("Child processes' peak: 0 B");
    expect(tip).not.toContain('≥');
  });

  it('names a native pool under the output of the split', () => {
    const r = record({ native_pools: { pyarrow: 40 * MIB } });
    expect(badgeTooltip(r, 'binary')).toContain(
      "of which in pyarrow's memory pool: +40.0 MiB"
    );
  });
});
