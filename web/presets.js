// The example networks: examples/index.json (first entry = the default
// story) and one network JSON per entry, fetched once each, with relative
// URLs so the site works from any folder of any static host.
import { writeLink, defaultUi } from './state.js';

export async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

export function createPresets() {
  let index = [];
  const fetched = new Map(); // id -> Promise of the network JSON
  const networks = new Map(); // id -> network, once arrived
  const hashes = new Map(); // id -> canonical link text, to recognise a preset

  function fetchOne(entry) {
    if (!fetched.has(entry.id)) {
      // A failed fetch is forgotten so picking the preset again retries it.
      fetched.set(entry.id, fetchJson(`examples/${entry.file}`).catch((err) => { fetched.delete(entry.id); throw err; }));
    }
    return fetched.get(entry.id);
  }

  return {
    get index() { return index; },
    async loadIndex() {
      const list = await fetchJson('examples/index.json');
      index = Array.isArray(list) ? list : [];
      return index;
    },
    /** Start fetching a preset early (e.g. the default story while the engine compiles). */
    prefetch(entry) { if (entry) fetchOne(entry).catch(() => {}); },
    /** A fresh copy of the preset's network (needs the engine, for its link text). */
    async network(entry) {
      if (!networks.has(entry.id)) {
        const network = await fetchOne(entry);
        networks.set(entry.id, network);
        hashes.set(entry.id, writeLink(network, defaultUi()));
      }
      return structuredClone(networks.get(entry.id));
    },
    /** The preset `network` is (compared by canonical link text), or null. */
    match(network) {
      const text = writeLink(network, defaultUi());
      return text === null ? null : index.find((p) => hashes.get(p.id) === text) || null;
    },
    /** A preset's own description (in its JSON) is its story; the index has a short one. */
    story(entry) {
      return (entry && (networks.get(entry.id)?.description || entry.description)) || '';
    },
    /** Fetch the rest, so the menu can recognise any preset; failures surface when picked. */
    async loadAll() {
      for (const entry of index) {
        try { await this.network(entry); } catch { /* reported when the user picks it */ }
      }
    },
  };
}
