/** The part of plotly.js memlens uses (the package ships no types). */
declare module 'plotly.js-dist-min' {
  export interface IPlotlyTrace {
    type: string;
    [key: string]: unknown;
  }

  export function newPlot(
    root: HTMLElement,
    data: IPlotlyTrace[],
    layout?: Record<string, unknown>,
    config?: Record<string, unknown>
  ): Promise<HTMLElement>;

  export function purge(root: HTMLElement): void;
}
