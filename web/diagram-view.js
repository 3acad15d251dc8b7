// Zoom, pan and keyboard moves for the data-flow diagram. Loaded after the
// first table (not part of the first view). The drawing itself stays in
// diagram.js; this file only scales it (the <svg>'s width and height over a
// fixed viewBox, kept in `data-zoom` so a redraw keeps the zoom), scrolls its
// panel, and moves focus between blocks by their `data-col` / `data-row`.
import { h } from './dom.js';
import { setAllGroups } from './diagram.js';

const STEP = 1.25;
const MIN_ZOOM = 0.1;
const MAX_ZOOM = 4;
const DRAG_SLOP = 4; // px of movement before a press becomes a pan (and no longer a click)

export function attachDiagramView(svgRoot) {
  const wrap = svgRoot.parentElement;
  const readout = h('output', { class: 'zoom-readout mono', 'aria-live': 'polite' }, '100%');
  const button = (label, text, onclick, extra = {}) => h('button', { type: 'button', class: 'btn', 'aria-label': label, title: label, onclick, ...extra }, text);
  const tools = h('div', { class: 'diagram-tools', role: 'toolbar', 'aria-label': 'Diagram view' },
    button('Zoom out (−)', '−', () => zoomBy(1 / STEP)),
    button('Zoom in (+)', '+', () => zoomBy(STEP)),
    button('Fit the width (0)', 'Fit', fit),
    button('Actual size', 'Actual size', () => setZoom(1)),
    readout,
    button('Expand all blocks', 'Expand all', () => setAllGroups(svgRoot, true)),
    button('Collapse blocks again', 'Collapse', () => setAllGroups(svgRoot, false)));
  wrap.before(tools);

  const zoom = () => Number(svgRoot.dataset.zoom) || 1;
  const natural = () => [Number(svgRoot.dataset.width) || 1, Number(svgRoot.dataset.height) || 1];

  /** Scale to z, keeping the drawing point under (px, py) of the panel where it was. */
  function setZoom(z, px = wrap.clientWidth / 2, py = wrap.clientHeight / 2) {
    const from = zoom();
    // Rounded so that + then − comes back to exactly 1 (and the readout to 100%).
    const to = Math.round(Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z)) * 1e6) / 1e6;
    const cx = (wrap.scrollLeft + px) / from;
    const cy = (wrap.scrollTop + py) / from;
    svgRoot.dataset.zoom = String(to);
    const [w, hgt] = natural();
    svgRoot.setAttribute('width', String(Math.ceil(w * to)));
    svgRoot.setAttribute('height', String(Math.ceil(hgt * to)));
    wrap.scrollLeft = cx * to - px;
    wrap.scrollTop = cy * to - py;
    readout.textContent = `${Math.round(to * 100)}%`;
  }
  const zoomBy = (f, px, py) => setZoom(zoom() * f, px, py);
  function fit() {
    const [w] = natural();
    setZoom(Math.min(1, (wrap.clientWidth - 2) / w), 0, 0);
  }

  // Ctrl/⌘ + wheel (and a touchpad pinch, which Chromium sends as one) zooms
  // around the pointer; a plain wheel scrolls the page as everywhere else.
  wrap.addEventListener('wheel', (e) => {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    const box = wrap.getBoundingClientRect();
    zoomBy(Math.exp(-e.deltaY * 0.002), e.clientX - box.left, e.clientY - box.top);
  }, { passive: false });

  // Drag anywhere to pan; a press that moved is not a click (no block opens).
  let drag = null;
  wrap.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, left: wrap.scrollLeft, top: wrap.scrollTop, moved: false, id: e.pointerId };
  });
  wrap.addEventListener('pointermove', (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < DRAG_SLOP) return;
    if (!drag.moved) { drag.moved = true; wrap.setPointerCapture(e.pointerId); wrap.classList.add('is-panning'); }
    wrap.scrollLeft = drag.left - dx;
    wrap.scrollTop = drag.top - dy;
  });
  const endDrag = (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    if (drag.moved) {
      wrap.classList.remove('is-panning');
      wrap.addEventListener('click', (c) => { c.stopPropagation(); c.preventDefault(); }, { capture: true, once: true });
    }
    drag = null;
  };
  wrap.addEventListener('pointerup', endDrag);
  wrap.addEventListener('pointercancel', endDrag);

  wrap.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === '+' || e.key === '=') zoomBy(STEP);
    else if (e.key === '-' || e.key === '_') zoomBy(1 / STEP);
    else if (e.key === '0') fit();
    else if (!moveFocus(e.key, e.target)) return;
    e.preventDefault();
  });

  /** Arrow keys: the nearest block to the right/left (next column) or below/above (same column); Home/End. */
  function moveFocus(key, from) {
    const nodes = [...svgRoot.querySelectorAll('[data-key][data-col]')];
    if (!nodes.length) return false;
    const pos = (el) => [Number(el.dataset.col), Number(el.dataset.row)];
    const here = from?.closest?.('[data-key]');
    let next = null;
    const order = (a, b) => pos(a)[0] - pos(b)[0] || pos(a)[1] - pos(b)[1];
    if (key === 'Home') next = nodes.sort(order)[0];
    else if (key === 'End') next = nodes.sort(order).at(-1);
    else if (!here) { if (!key.startsWith('Arrow')) return false; next = nodes[0]; }
    else {
      const [c, r] = pos(here);
      const score = {
        ArrowRight: ([c2, r2]) => (c2 > c ? (c2 - c) * 1000 + Math.abs(r2 - r) : Infinity),
        ArrowLeft: ([c2, r2]) => (c2 < c ? (c - c2) * 1000 + Math.abs(r2 - r) : Infinity),
        ArrowDown: ([c2, r2]) => (r2 > r ? (r2 - r) * 1000 + Math.abs(c2 - c) : Infinity),
        ArrowUp: ([c2, r2]) => (r2 < r ? (r - r2) * 1000 + Math.abs(c2 - c) : Infinity),
      }[key];
      if (!score) return false;
      let best = Infinity;
      for (const el of nodes) {
        if (el === here) continue;
        const s = score(pos(el));
        if (s < best) { best = s; next = el; }
      }
    }
    next?.focus();
    return true;
  }

  svgRoot.closest('section')?.setAttribute('data-view', 'ready');
  return { setZoom, fit };
}
