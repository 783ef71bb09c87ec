/**
 * The badge's popover: the readout's full text (the same lines as the badge's
 * tooltip), opened by click, Enter or Space on the badge; selectable and
 * copyable, labels and numbers in aligned columns; Escape, a click outside or
 * the badge again closes it, and focus returns to the badge.
 */

/** One line of a readout, split into what it is and its number. */
export interface IPopoverLine {
  label: string;
  value: string;
  /** Indented under the line above (a part of it). */
  indent: boolean;
}

/**
 * The tooltip's text as lines for a two-column layout: a label and a value
 * where the text puts two or more spaces between them, else the whole line
 * as the label; blank lines kept (they separate groups).
 */
export function popoverLines(text: string): IPopoverLine[] {
  return text.split('\n').map(line => {
    const indent = /^\s+\S/.test(line);
    const trimmed = line.trim();
    const match = /^(.*?\S)\s{2,}(\S.*)$/.exec(trimmed);
    return match
      ? { label: match[1], value: match[2], indent }
      : { label: trimmed, value: '', indent };
  });
}

const POPOVER_CLASS = 'jp-MemlensPopover';

let open: { popover: HTMLElement; badge: HTMLElement } | null = null;

/** Close the open popover, if any; focus goes back to its badge when asked. */
export function closePopover(refocus = false): void {
  if (!open) {
    return;
  }
  const { popover, badge } = open;
  open = null;
  popover.remove();
  badge.setAttribute('aria-expanded', 'false');
  document.removeEventListener('mousedown', onOutside, true);
  if (refocus && badge.isConnected) {
    badge.focus();
  }
}

function onOutside(event: MouseEvent): void {
  const target = event.target as Node | null;
  if (open && target && !open.popover.contains(target)) {
    // The badge's own click toggles; anything else just closes.
    closePopover(false);
  }
}

/** Open (or, if open for this badge, close) the popover showing `text`. */
export function togglePopover(badge: HTMLElement, text: string): void {
  if (open?.badge === badge) {
    closePopover(true);
    return;
  }
  closePopover(false);
  const popover = document.createElement('div');
  popover.className = POPOVER_CLASS;
  popover.setAttribute('role', 'dialog');
  popover.setAttribute('aria-label', 'Memory readout of this cell');
  popover.tabIndex = -1;
  const grid = document.createElement('div');
  grid.className = `${POPOVER_CLASS}-grid`;
  for (const line of popoverLines(text)) {
    const label = document.createElement('span');
    label.className = `${POPOVER_CLASS}-label`;
    label.classList.toggle('jp-mod-indent', line.indent);
    label.textContent = line.label;
    const value = document.createElement('span');
    value.className = `${POPOVER_CLASS}-value`;
    value.textContent = line.value;
    if (!line.value) {
      label.classList.add('jp-mod-wide');
      grid.append(label);
    } else {
      grid.append(label, value);
    }
  }
  const copy = document.createElement('button');
  copy.className = `${POPOVER_CLASS}-copy jp-mod-styled`;
  copy.textContent = 'Copy';
  copy.title = 'Copy this readout as text';
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(text).then(
      () => (copy.textContent = 'Copied'),
      () => (copy.textContent = 'Copy failed')
    );
  });
  popover.append(grid, copy);
  popover.addEventListener('keydown', event => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation(); // Not the notebook's Escape (command mode).
      closePopover(true);
    }
  });
  // In the cell, right under the badge: it scrolls with the notebook.
  badge.insertAdjacentElement('afterend', popover);
  badge.setAttribute('aria-expanded', 'true');
  open = { popover, badge };
  document.addEventListener('mousedown', onOutside, true);
  popover.focus();
}

/** Make `badge` a button that opens the popover with what `text()` says then. */
export function makePopoverButton(
  badge: HTMLElement,
  text: () => string
): void {
  badge.setAttribute('role', 'button');
  badge.setAttribute('aria-haspopup', 'dialog');
  badge.setAttribute('aria-expanded', 'false');
  badge.tabIndex = 0;
  badge.addEventListener('click', event => {
    event.stopPropagation();
    togglePopover(badge, text());
  });
  badge.addEventListener('mousedown', event => event.stopPropagation());
  badge.addEventListener('keydown', event => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      event.stopPropagation(); // Enter would put the notebook in edit mode.
      togglePopover(badge, text());
    }
  });
}
