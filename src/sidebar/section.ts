import type { Message } from '@lumino/messaging';
import type { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import type { SettingsModel } from '../common/settings';

/** Anything a section can show: it says when it changed. */
export interface IObservableModel {
  readonly changed: ISignal<unknown, void>;
}

/**
 * A sidebar section that renders one model (and the settings) and re-renders
 * on their changes, but only while visible: work nobody sees is not done.
 */
export abstract class ModelSection<M extends IObservableModel> extends Widget {
  constructor(options: ModelSection.IOptions) {
    super();
    this.settings = options.settings;
    this.settings.changed.connect(this.onModelChanged, this);
  }

  /** The model shown; null when no notebook is active. */
  get model(): M | null {
    return this._model;
  }

  set model(model: M | null) {
    if (model === this._model) {
      return;
    }
    this._model?.changed.disconnect(this.onModelChanged, this);
    this._model = model;
    model?.changed.connect(this.onModelChanged, this);
    this.update();
  }

  dispose(): void {
    this._model?.changed.disconnect(this.onModelChanged, this);
    this.settings.changed.disconnect(this.onModelChanged, this);
    this._model = null;
    super.dispose();
  }

  /** Draw the model into the node; called only while visible. */
  protected abstract render(model: M | null): void;

  protected onAfterShow(_msg: Message): void {
    this.update();
  }

  protected onUpdateRequest(_msg: Message): void {
    if (this.isVisible) {
      this.render(this._model);
    }
  }

  protected onModelChanged(): void {
    this.update();
  }

  protected readonly settings: SettingsModel;
  private _model: M | null = null;
}

/** ModelSection's options. */
export namespace ModelSection {
  export interface IOptions {
    settings: SettingsModel;
  }
}
