import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { memlensPlugin } from './plugin';

const plugins: JupyterFrontEndPlugin<unknown>[] = [memlensPlugin];

export default plugins;
