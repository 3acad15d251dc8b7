// Drag-to-reorder for the layer list with pointer events, so mouse, pen and
// touch all work (HTML5 drag-and-drop does not fire for touch). Keyboard
// reordering lives on the same handle in editor.js (arrow keys).

const THRESHOLD_PX = 4;

/** Make `.handle` buttons inside `list` drag their `li`; calls onMove(from, to). */
export function attachDrag(list, onMove) {
  let drag = null;

  // Where the card lands: the number of other cards whose middle is above the pointer.
  function targetIndex(clientY) {
    let above = 0;
    for (const [i, card] of [...list.children].entries()) {
      if (i === drag.from) continue;
      const box = card.getBoundingClientRect();
      if (clientY > box.top + box.height / 2) above += 1;
    }
    return above;
  }

  function markTarget(to) {
    for (const [i, card] of [...list.children].entries()) {
      card.classList.toggle('drop-before', drag.active && i === to && to < drag.from);
      card.classList.toggle('drop-after', drag.active && i === to && to > drag.from);
    }
  }

  function finish(commit) {
    if (!drag) return;
    const { from, to, active, card } = drag;
    card.classList.remove('dragging');
    card.style.removeProperty('transform');
    drag.active = false;
    markTarget(-1);
    drag = null;
    list.classList.remove('is-dragging');
    if (commit && active && to !== from) onMove(from, to);
  }

  list.addEventListener('pointerdown', (e) => {
    const handle = e.target.closest('.handle');
    if (!handle || e.button !== 0) return;
    const card = handle.closest('li');
    drag = { from: Number(card.dataset.index), to: Number(card.dataset.index), startY: e.clientY, active: false, card, handle };
    handle.setPointerCapture(e.pointerId);
  });
  list.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const dy = e.clientY - drag.startY;
    if (!drag.active && Math.abs(dy) < THRESHOLD_PX) return;
    if (!drag.active) {
      drag.active = true;
      drag.card.classList.add('dragging');
      list.classList.add('is-dragging');
    }
    // CSSOM writes are allowed under style-src 'self' (only style attributes in markup are not).
    drag.card.style.transform = `translateY(${dy}px)`;
    drag.to = targetIndex(e.clientY);
    markTarget(drag.to);
  });
  list.addEventListener('pointerup', () => finish(true));
  list.addEventListener('pointercancel', () => finish(false));
  list.addEventListener('keydown', (e) => { if (e.key === 'Escape' && drag) finish(false); });
}
