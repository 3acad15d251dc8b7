// The alert banner for problems the user must see: a broken share link (and
// which part of it), an engine failure, presets that did not load. Messages
// are text only (see dom.js), so a hostile link cannot inject markup here.
import { h } from './dom.js';

/** `root` is a role="alert" container that exists from page load (so screen readers announce additions). */
export function createBanner(root) {
  function hideIfEmpty() { root.hidden = root.childElementCount === 0; }
  hideIfEmpty();
  return {
    /** level: 'error' | 'warning' | 'info'; title: one line; details: extra lines (e.g. which part of the link). */
    show({ level = 'error', title, details = [] }) {
      const close = h('button', { type: 'button', class: 'icon-btn banner-close', 'aria-label': 'Dismiss message' }, '✕');
      const item = h('div', { class: `banner-item is-${level}` },
        h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, { error: '✕', warning: '!', info: 'i' }[level] || '!'),
        h('div', { class: 'banner-text' },
          h('p', { class: 'banner-title' }, title),
          details.length ? h('ul', { class: 'banner-details' }, details.map((d) => h('li', { class: 'mono' }, d))) : null),
        close);
      close.addEventListener('click', () => { item.remove(); hideIfEmpty(); });
      root.append(item);
      hideIfEmpty();
    },
    clear() { root.replaceChildren(); hideIfEmpty(); },
  };
}
