import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { sidebarPlugin } from './plugin';

const plugins: JupyterFrontEndPlugin<unknown>[] = [sidebarPlugin];

export default plugins;
