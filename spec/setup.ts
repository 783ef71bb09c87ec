// jsdom lacks DragEvent, which @lumino/widgets (drag and drop) references at import.
if (typeof globalThis.DragEvent === 'undefined') {
  class DragEventShim extends MouseEvent {}
  Object.assign(globalThis, { DragEvent: DragEventShim });
}
