import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { SettingsModel } from '../../src/common/settings';
import { freedText } from '../../src/kernel/freeing';
import { gpuRows, renderGpu } from '../../src/kernel/gpu';
import { KernelModel } from '../../src/kernel/model';
import { KernelSection } from '../../src/kernel/section';
import type {
  IFreeMemoryBody,
  IKernelInfo,
  IKernelMemoryBody
} from '../../src/wire/protocol';
import { exampleBody } from '../replies';

const WITH_GPU = exampleBody<IKernelMemoryBody>(
  'kernel_memory reply with a GPU in use (torch: 4 GiB of tensors, 2 GiB cached)'
);
const NO_GPU = exampleBody<IKernelMemoryBody>(
  'kernel_memory reply: a 500 MiB array, a result pinned by Out, fragmentation'
);
const EMPTIED = exampleBody<IFreeMemoryBody>(
  'free_memory reply: empty_cache gave 2 GiB back to the device'
);

describe('gpuRows', () => {
  it('says what the device holds, what this kernel holds and what is cached', () => {
    const device = WITH_GPU.gpu![0];
    expect(gpuRows(device, 'binary')).toEqual([
      ['used', 'Used on the device (all processes)', '7.0 GiB of 140.4 GiB'],
      ['process', 'This kernel (NVML)', '6.5 GiB'],
      ['allocated', 'Tensors and arrays (torch)', '4.0 GiB'],
      ['cached', 'Cached free by the allocators', '2.0 GiB']
    ]);
  });

  it('leaves out what NVML did not say and a cache that holds nothing', () => {
    const device = { ...WITH_GPU.gpu![0], process: null, cached_free: 0 };
    const keys = gpuRows(device, 'binary').map(([key]) => key);
    expect(keys).toEqual(['used', 'allocated']);
  });
});

describe('renderGpu', () => {
  it('shows nothing without a device in use', () => {
    expect(renderGpu(undefined, 'binary')).toBeNull();
    expect(renderGpu([], 'binary')).toBeNull();
  });

  it('heads each device with its index and name', () => {
    const node = renderGpu(WITH_GPU.gpu, 'binary');
    expect(node?.querySelector('.jp-MemlensGpu-name')?.textContent).toBe(
      'cuda:0 · NVIDIA H200'
    );
    expect(node?.querySelectorAll('.jp-MemlensGpu-row').length).toBe(4);
  });
});

describe('empty_cache', () => {
  it('says what came back to the GPU', () => {
    expect(freedText(EMPTIED, 'binary')).toBe('gave back 2.0 GiB to the GPU');
    expect(freedText({ ...EMPTIED, device_gave_back: 0 }, 'binary')).toBe(
      'gave nothing back to the GPU (nothing was cached)'
    );
  });

  it('is a button only while the kernel uses a GPU', () => {
    const model = new KernelModel({ notebookName: 'a.ipynb' });
    const hello = exampleBody<IKernelInfo>('hello reply');
    model.update({ state: 'connected', info: hello, snapshot: hello.memory });
    const section = new KernelSection({
      onRetry: () => undefined,
      settings: new SettingsModel()
    });
    Widget.attach(section, document.body);
    section.model = model;
    const actions = (): string[] => {
      MessageLoop.sendMessage(section, Widget.Msg.UpdateRequest);
      return Array.from(
        section.node.querySelectorAll<HTMLElement>('.jp-MemlensFree-row')
      ).map(row => row.dataset.action ?? '');
    };
    model.update({ breakdown: NO_GPU });
    expect(actions()).not.toContain('empty_cache');
    expect(section.node.querySelector('.jp-MemlensGpu')).toBeNull();
    model.update({ breakdown: WITH_GPU });
    expect(actions()).toContain('empty_cache');
    expect(section.node.querySelector('.jp-MemlensGpu')).not.toBeNull();
    section.dispose();
  });
});
