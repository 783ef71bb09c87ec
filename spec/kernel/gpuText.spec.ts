import {
  deviceBytesText,
  gpuBadgePart,
  gpuTooltipLines
} from '../../src/kernel/gpuText';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { badgeText, badgeTooltip } from '../../src/cells/readout';
import { SettingsModel } from '../../src/common/settings';
import { VariablesFetcher } from '../../src/variables/fetcher';
import { VariablesSection } from '../../src/variables/section';
import type { ICellRecord, IVariablesBody } from '../../src/wire/protocol';
import { exampleMessage } from '../replies';

const CONTEXT = exampleMessage<ICellRecord>(
  'a cell record that created the CUDA context and dropped a 4 GiB tensor'
);
const HOST_ONLY = exampleMessage<ICellRecord>('a cell record');

describe('gpuBadgePart', () => {
  it('is absent without a device in use', () => {
    expect(gpuBadgePart(HOST_ONLY, 'binary')).toBeNull();
  });

  it('sums the allocated change and the peak, marking a lower bound', () => {
    expect(gpuBadgePart(CONTEXT, 'binary')).toBe('GPU ±0 B, peak 4.0 GiB');
    const bound = {
      ...CONTEXT,
      gpu: [{ ...CONTEXT.gpu![0], peak_exact: false }]
    };
    expect(gpuBadgePart(bound, 'binary')).toBe('GPU ±0 B, peak ≥ 4.0 GiB');
  });
});

describe('gpuTooltipLines', () => {
  it('splits each device apart from the RSS and names the context cell', () => {
    const lines = gpuTooltipLines(CONTEXT, 'binary');
    expect(lines[1]).toBe('GPU cuda:0 (device memory, not in the RSS above):');
    expect(lines).toContain('  peak 4.0 GiB (exact)');
    expect(lines).toContain('  this cell created the CUDA context');
    expect(lines.some(line => line.includes('(NVML)'))).toBe(true);
    expect(gpuTooltipLines(HOST_ONLY, 'binary')).toEqual([]);
  });
});

describe('deviceBytesText', () => {
  it("reads a row's GPU bytes, only when it has some", () => {
    const body = exampleMessage<{ body: IVariablesBody }>(
      'variables reply: a CUDA model (device bytes beside host sizes)'
    ).body;
    expect(deviceBytesText(body.rows[0], 'binary')).toBe('GPU 4.0 MiB');
    expect(deviceBytesText({ ...body.rows[0], partial: true }, 'binary')).toBe(
      'GPU ≥ 4.0 MiB'
    );
    expect(
      deviceBytesText({ partial: false, device_bytes: 0 }, 'binary')
    ).toBeNull();
    expect(deviceBytesText({ partial: false }, 'binary')).toBeNull();
  });
});

describe('the badge', () => {
  it('shows a GPU part and splits it in the tooltip only when a device was in use', () => {
    expect(badgeText(CONTEXT, 'binary')).toContain(' · GPU ±0 B, peak 4.0 GiB');
    expect(badgeTooltip(CONTEXT, 'binary')).toContain(
      'this cell created the CUDA context'
    );
    expect(badgeText(HOST_ONLY, 'binary')).not.toContain('GPU');
    expect(badgeTooltip(HOST_ONLY, 'binary')).not.toContain('GPU');
  });
});

describe('a Variables row', () => {
  it('has a GPU line under its name only when it reaches device memory', () => {
    const body = exampleMessage<{ body: IVariablesBody }>(
      'variables reply: a CUDA model (device bytes beside host sizes)'
    ).body;
    const host = { ...body.rows[0], name: 'host', device_bytes: undefined };
    const section = new VariablesSection({ settings: new SettingsModel() });
    const fetcher = new VariablesFetcher({
      session: () => null,
      budgetMs: 50
    });
    Widget.attach(section, document.body);
    section.fetcher = fetcher;
    fetcher.model.update({
      body: { ...body, rows: [body.rows[0], host] },
      loading: false,
      error: ''
    });
    MessageLoop.flush();
    const gpuLine = (name: string): string | null | undefined =>
      section.node
        .querySelector(`[data-name="${name}"]`)
        ?.querySelector('.jp-MemlensVariables-gpu')?.textContent;
    expect(gpuLine('model')).toBe('GPU 4.0 MiB');
    expect(gpuLine('host')).toBeUndefined();
    section.dispose();
  });
});
