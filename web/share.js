// Share links and embed code: URLs for the current state, the iframe snippet
// with its height listener, and copying to the clipboard.

/** Absolute URL of `page` (index.html / embed.html) next to this one, with a hash. */
export function pageUrl(page, hash) {
  const url = new URL(page, location.href);
  url.hash = hash || '';
  return url.href;
}

/**
 * The code a docs page pastes. The listener accepts only messages from this
 * very iframe (event.source) with our message type, and only a sane number:
 * the embed sends its height and nothing else.
 */
export function embedSnippet({ src, title, id = 'convscope-embed', height = 480 }) {
  const safeTitle = String(title).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
  const safeSrc = String(src).replace(/&/g, '&amp;').replace(/"/g, '%22');
  return [
    `<iframe id="${id}" src="${safeSrc}" title="${safeTitle}"`,
    `  width="100%" height="${height}" loading="lazy" style="border:0;max-width:100%"></iframe>`,
    '<script>',
    '  // ConvScope reports its content height; resize only this iframe, only from it.',
    '  window.addEventListener("message", function (event) {',
    `    var frame = document.getElementById("${id}");`,
    '    if (!frame || event.source !== frame.contentWindow) return;',
    '    var data = event.data;',
    '    if (!data || data.type !== "convscope:height") return;',
    '    var height = Number(data.height);',
    '    if (isFinite(height) && height > 0 && height < 20000) frame.style.height = Math.ceil(height) + "px";',
    '  });',
    '</script>',
  ].join('\n');
}

/** Copy text; falls back to a selected textarea where the async clipboard is unavailable. */
export async function copyText(text, fallbackField) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!fallbackField) return false;
    fallbackField.value = text;
    fallbackField.select();
    try { return document.execCommand('copy'); } catch { return false; }
  }
}

/**
 * In an iframe, tell the parent our content height whenever it changes.
 * The message carries only {type, height}: nothing about the network.
 */
export function reportHeightToParent() {
  if (window.parent === window) return;
  let last = -1;
  const send = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: 'convscope:height', height }, '*');
  };
  new ResizeObserver(send).observe(document.body);
  send();
}
