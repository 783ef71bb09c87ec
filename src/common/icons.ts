import { LabIcon } from '@jupyterlab/ui-components';

const MEMLENS_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M4 6h12v9H4zM6 4h1.5v2H6zm3 0h1.5v2H9zm3 0h1.5v2H12zM6 15h1.5v2H6zm3 0h1.5v2H9zm3 0h1.5v2H12zM2 8h2v1.5H2zm0 3h2v1.5H2zm14-3h2v1.5h-2z"/>
    <path d="M17.5 12a4.5 4.5 0 1 0 2.55 8.2l2.4 2.4 1.06-1.06-2.4-2.4A4.5 4.5 0 0 0 17.5 12zm0 1.5a3 3 0 1 1 0 6 3 3 0 0 1 0-6z"/>
  </g>
</svg>`;

/** The memlens icon: a memory chip under a lens. */
export const memlensIcon = new LabIcon({
  name: 'jupyterlab-memlens:memlens',
  svgstr: MEMLENS_SVG
});
