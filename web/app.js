// paperdex search page: the state lives in the URL; every change renders from it.
// Record text is only ever put into the page with textContent, never as HTML.

const FIELDS = [
  { name: "kind", label: "Kind" },
  { name: "category", label: "Category" },
  { name: "mechanism", label: "Mechanism" },
  { name: "date", label: "Date" },
  { name: "topic", label: "Topic" },
  { name: "affiliation", label: "Affiliation" },
  { name: "lang", label: "Language" },
];
const PAGE_SIZE = 20;
const SHOWN_VALUES = 8; // values of a facet shown before "show more"
const FILTER_BOX_FROM = 10; // a facet with more values than this gets a filter box
const FACET_LIMIT = 20; // values of a facet fetched with each search; the filter box fetches the rest
const MATRIX_ROWS = 24;
const DEBOUNCE_MS = 150;
const KIND_LABELS = { page: "page", "caption/figure": "figure", "caption/chart": "chart", "caption/table": "table", method: "method", caption: "caption" };
const ARXIV_ID = /^\d{4}\.\d{4,5}(v\d+)?$/;

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
};

// ---- state <-> URL ----------------------------------------------------------

function readState(search = location.search) {
  const p = new URLSearchParams(search);
  const filters = [];
  for (const f of p.getAll("filter")) {
    const i = f.indexOf(":");
    if (i > 0 && i < f.length - 1) filters.push({ field: f.slice(0, i), value: f.slice(i + 1) });
  }
  const page = Math.max(1, parseInt(p.get("page") || "1", 10) || 1);
  const sort = ["date", "-date"].includes(p.get("sort")) ? p.get("sort") : "";
  return { q: p.get("q") || "", filters, sort, page, group: p.get("group") === "page", open: p.getAll("open") };
}

function stateQuery(s) {
  const p = new URLSearchParams();
  if (s.q) p.set("q", s.q);
  for (const f of s.filters) p.append("filter", `${f.field}:${f.value}`);
  if (s.sort) p.set("sort", s.sort);
  if (s.group) p.set("group", "page");
  if (s.page > 1) p.set("page", String(s.page));
  for (const o of s.open) p.append("open", o);
  const text = p.toString();
  return text ? `?${text}` : location.pathname;
}

let state = readState();
let typing = false; // the current history entry was made by typing in the box

// Moves to a new state: a new history entry (so Back returns), or the same one while
// the user keeps typing.
function go(next, { replace = false } = {}) {
  state = next;
  const url = stateQuery(state);
  if (replace) history.replaceState({ typing }, "", url);
  else history.pushState({ typing }, "", url);
  run();
}

// A value as the API matches it: case, accents, spacing and punctuation aside.
const fold = (v) => v.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
const hasFilter = (s, field, value) => s.filters.some((f) => f.field === field && f.value === value);
const withFilters = (s, filters) => ({ ...s, filters, page: 1 });
const toggleFilter = (s, field, value) =>
  withFilters(s, hasFilter(s, field, value)
    ? s.filters.filter((f) => !(f.field === field && f.value === value))
    : [...s.filters, { field, value }]);
const toggleOpen = (s, key) => ({ ...s, open: s.open.includes(key) ? s.open.filter((o) => o !== key) : [...s.open, key] });

// ---- API --------------------------------------------------------------------

const api = (path, params) => {
  const url = new URL(path, document.baseURI);
  if (params) url.search = params.toString();
  return url;
};

// The parameters of one search: the state's query and filters, less the filters of
// `drop` fields, plus `extra` filters; `facets` are FIELD or FIELD:PATH.
function searchParams(s, { drop = [], extra = [], facets = [], limit = 0, paged = false, kind, facetLimit } = {}) {
  const p = new URLSearchParams();
  if (s.q) p.set("q", s.q);
  if (kind) p.set("kind", kind);
  for (const f of s.filters) if (!drop.includes(f.field)) p.append("filter", `${f.field}:${f.value}`);
  for (const f of extra) p.append("filter", `${f.field}:${f.value}`);
  for (const f of facets) p.append("facet", f);
  // One hit per paper: the counts beside the filters are of papers too.
  if (s.group && facets.length) p.set("facet_count", "pages");
  if (facetLimit) p.set("facet_limit", String(facetLimit));
  p.set("limit", String(limit));
  if (paged) {
    if (s.sort) p.set("sort", s.sort);
    if (s.group) p.set("group", "page");
    if (s.page > 1) p.set("offset", String((s.page - 1) * PAGE_SIZE));
  }
  return p;
}

class ApiError extends Error {
  constructor(message, kind) {
    super(message);
    this.kind = kind;
  }
}

async function getJson(url, signal) {
  let response;
  try {
    response = await fetch(url, { signal, headers: { accept: "application/json" } });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError("The server did not answer; is `paperdex serve` running?", "network");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered ${response.status} without JSON.`, "bad_response");
  }
  if (!response.ok || body.error) {
    const err = body && body.error ? body.error : { kind: "http", message: `HTTP ${response.status}` };
    throw new ApiError(err.message, err.kind);
  }
  return body;
}

const countsOf = (facets, key) => (facets && facets[key]) || [];
const pathOf = (c) => c.path ?? c.value;

// Which facet children are shown: open nodes of hierarchical fields.
function childFacets(s, field) {
  return field === "category" ? [] : s.open.filter((o) => o.startsWith(`${field}:`));
}

// Everything one state needs, fetched together; a newer state aborts the older.
async function load(s, signal) {
  const allFacets = FIELDS.map((f) => f.name).concat(FIELDS.flatMap((f) => childFacets(s, f.name)));
  const main = getJson(api("api/search", searchParams(s, { facets: allFacets, limit: PAGE_SIZE, paged: true, facetLimit: FACET_LIMIT })), signal);
  // OR within a field: a field's counts leave out that field's own filters, so its other
  // values keep their counts (the hits themselves use every filter).
  // Only the fields there are: a link's unknown field is the main search's error to say.
  const filtered = [...new Set(s.filters.map((f) => f.field))].filter((field) => FIELDS.some((f) => f.name === field));
  const own = filtered.map((field) =>
    getJson(api("api/search", searchParams(s, { drop: [field], facets: [field, ...childFacets(s, field)], facetLimit: FACET_LIMIT })), signal)
      .then((r) => ({ field, facets: r.facets, more: r.facets_more || {} })));
  // Category -> mechanism: an open category lists its mechanisms.
  const openCategories = s.open.filter((o) => o.startsWith("category:")).map((o) => o.slice("category:".length));
  const mechanisms = openCategories.map((c) =>
    getJson(api("api/search", searchParams(s, { drop: ["category", "mechanism"], extra: [{ field: "category", value: c }], facets: ["mechanism"] })), signal)
      .then((r) => ({ category: c, counts: countsOf(r.facets, "mechanism") })));
  // One await for all, so that no failed or aborted search is left unhandled.
  const [results, ownCounts, mechanismCounts] = await Promise.all([main, Promise.all(own), Promise.all(mechanisms)]);
  const facets = { ...results.facets };
  const more = { ...(results.facets_more || {}) };
  const ofField = (field, k) => k === field || k.startsWith(`${field}=`);
  for (const { field, facets: f, more: m } of ownCounts) {
    for (const k of Object.keys(more)) if (ofField(field, k)) delete more[k];
    for (const [k, v] of Object.entries(f)) if (ofField(field, k)) facets[k] = v;
    for (const [k, v] of Object.entries(m)) if (ofField(field, k)) more[k] = v;
  }
  const byCategory = {};
  for (const { category, counts } of mechanismCounts) byCategory[category] = counts;
  return { results, facets, more, byCategory };
}

// All of one field's values under the state (less the field's own filters), for its
// filter box when the search's facet limit left some out.
async function loadAllValues(s, field) {
  const p = new URLSearchParams();
  if (s.q) p.set("q", s.q);
  for (const f of s.filters) if (f.field !== field) p.append("filter", `${f.field}:${f.value}`);
  const r = await getJson(api(`api/facets/${encodeURIComponent(field)}`, p));
  return r.counts;
}

// The category x mechanism matrix of method counts, under the query and the filters
// other than kind, category and mechanism: one search for both value lists, then one
// per value of the shorter list.
async function loadMatrix(s, signal) {
  const drop = ["kind", "category", "mechanism"];
  const top = await getJson(api("api/search", searchParams(s, { drop, kind: "method", facets: ["category", "mechanism"] })), signal);
  const allCategories = countsOf(top.facets, "category");
  const categories = allCategories.slice(0, MATRIX_ROWS);
  const mechanisms = countsOf(top.facets, "mechanism");
  const moreCategories = allCategories.length - categories.length;
  const withMethods = new Set(allCategories.map(pathOf));
  if (!categories.length || !mechanisms.length) return { total: top.total_hits, categories, mechanisms, cells: {}, moreCategories, withMethods };
  const byMechanism = mechanisms.length <= categories.length;
  const [outer, inner] = byMechanism ? ["mechanism", "category"] : ["category", "mechanism"];
  const cells = {};
  const rows = await Promise.all((byMechanism ? mechanisms : categories).map((v) =>
    getJson(api("api/search", searchParams(s, { drop, kind: "method", extra: [{ field: outer, value: pathOf(v) }], facets: [inner] })), signal)
      .then((r) => ({ value: pathOf(v), counts: countsOf(r.facets, inner) }))));
  for (const { value, counts } of rows) {
    for (const c of counts) {
      const [cat, mech] = byMechanism ? [pathOf(c), value] : [value, pathOf(c)];
      cells[`${cat}\u0000${mech}`] = c.count;
    }
  }
  return { total: top.total_hits, categories, mechanisms, cells, moreCategories, withMethods };
}

// ---- rendering --------------------------------------------------------------

const label = (path) => {
  const parts = String(path).split("/").filter(Boolean);
  return parts.length ? parts[parts.length - 1] : String(path);
};
const fieldLabel = (name) => (FIELDS.find((f) => f.name === name) || { label: name }).label;
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
function valueLabel(field, path) {
  if (field === "date") {
    const [y, m, d] = String(path).split("/").filter(Boolean);
    if (d) return `${parseInt(d, 10)} ${MONTHS[parseInt(m, 10) - 1] || m} ${y}`;
    if (m) return `${MONTHS[parseInt(m, 10) - 1] || m} ${y}`;
    return y || path;
  }
  if (field === "kind") return KIND_LABELS[String(path).replace(/^\//, "")] || label(path);
  return label(path);
}
// Categories that have methods (from the matrix), which open onto their mechanisms.
let methodCategories = new Set();
const hierarchical = (field, path) =>
  (field === "date" && String(path).split("/").filter(Boolean).length < 3) ||
  (field === "kind" && path === "/caption") ||
  (field === "category" && (methodCategories.has(path) || state.open.includes(`category:${path}`)));
const fmt = new Intl.NumberFormat("en");

// The snippet with its highlights as <mark>s; `highlights` are UTF-8 byte ranges.
function snippetNode(text, highlights) {
  const p = el("p", { class: "snippet" });
  const bytes = new TextEncoder().encode(text);
  const decoder = new TextDecoder();
  const boundary = (i) => {
    let j = Math.max(0, Math.min(bytes.length, i));
    while (j > 0 && j < bytes.length && (bytes[j] & 0xc0) === 0x80) j--;
    return j;
  };
  const ranges = (highlights || [])
    .map(([a, b]) => [boundary(a), boundary(b)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let at = 0;
  for (const [a, b] of ranges) {
    if (a < at) continue;
    if (a > at) p.append(decoder.decode(bytes.subarray(at, a)));
    p.append(el("mark", { text: decoder.decode(bytes.subarray(a, b)) }));
    at = b;
  }
  if (at < bytes.length) p.append(decoder.decode(bytes.subarray(at)));
  return p;
}

function hitLinks(hit) {
  const links = [];
  if (ARXIV_ID.test(hit.page_id)) links.push({ href: `https://arxiv.org/abs/${hit.page_id}`, text: "arXiv" });
  links.push({ href: api(`api/records/${hit.id.split("/").map(encodeURIComponent).join("/")}`).href, text: "Source", title: hit.source });
  return links;
}

// A method hit is headed by the method's name (every method of a survey shares the
// survey's title); other hits by their paper's title.
const headline = (hit) => (hit.kind === "method" && hit.name ? hit.name : hit.title || hit.page_id);

function hitNode(hit, index) {
  const kind = KIND_LABELS[hit.kind] || hit.kind;
  const links = hitLinks(hit);
  const titleId = `hit-${index}-title`;
  const head = el("h3", { class: "hit-title", id: titleId },
    el("span", { class: `badge badge-${kind}`, text: kind }), " ",
    el("a", { href: links[0].href, class: "hit-link", text: headline(hit) }));
  const meta = el("p", { class: "hit-meta" });
  const metaParts = [];
  if (hit.date) metaParts.push(el("time", { datetime: hit.date, text: hit.date }));
  if (hit.kind === "method") {
    // The method's name is the headline; the paper it is listed in comes first here.
    if (hit.name && hit.title) metaParts.push(el("cite", { class: "paper", text: hit.title }));
    if (hit.citation) metaParts.push(document.createTextNode(hit.citation));
    if (hit.category || hit.mechanism) metaParts.push(document.createTextNode([hit.category, hit.mechanism].filter(Boolean).join(" › ")));
  } else if (hit.label) {
    metaParts.push(el("strong", { text: hit.label }));
  } else if (hit.kind === "page" && hit.authors) {
    metaParts.push(document.createTextNode(hit.authors));
  }
  metaParts.forEach((part, i) => {
    if (i) meta.append(el("span", { class: "sep", "aria-hidden": "true", text: " · " }));
    meta.append(part);
  });
  const foot = el("p", { class: "hit-links" });
  for (const l of links) foot.append(el("a", { href: l.href, title: l.title, text: l.text }));
  if (hit.group && hit.group.matched > 1) {
    foot.append(el("span", { class: "group-note", text: `${fmt.format(hit.group.matched)} matching records in this paper` }));
  }
  return el("li", { class: "hit", tabindex: "-1", "aria-labelledby": titleId, "data-id": hit.id }, head, meta, snippetNode(hit.snippet || "", hit.highlights), foot);
}

function renderSummary(results) {
  const ms = results.took_us / 1000;
  const took = ms < 10 ? ms.toFixed(1) : Math.round(ms).toString();
  const n = results.total_pages ?? results.total_hits;
  const what = results.total_pages !== undefined && results.total_pages !== null ? (n === 1 ? "paper" : "papers") : n === 1 ? "result" : "results";
  // A count that stopped early (the best hits were found without it) is a floor.
  const floor = results.total_exact === false && (results.total_pages === undefined || results.total_pages === null);
  $("summary").textContent = `${floor ? "at least " : ""}${fmt.format(n)} ${what} in ${took} ms`;
}

function renderMessages(results, error) {
  const box = $("messages");
  box.replaceChildren();
  if (error) {
    box.append(el("p", { class: "msg msg-error" }, el("strong", { text: "Search failed: " }), error.message));
    return;
  }
  if (results.corrected) {
    box.append(el("p", { class: "msg" }, `No hits for “${results.query}”; showing “`, el("strong", { text: results.corrected }), "”."));
  }
  // The correction is also among the warnings (as the CLI prints it); say it once.
  for (const w of results.warnings || []) {
    if (results.corrected && w.includes(results.corrected)) continue;
    box.append(el("p", { class: "msg msg-warn", text: w }));
  }
}

function renderHits(results) {
  const list = $("hits");
  list.replaceChildren(...results.hits.map(hitNode));
  const total = results.total_pages ?? results.total_hits;
  if (!results.hits.length && total > 0 && state.page > 1) {
    // A page number past the end (an old link, a narrower search): the hits are there,
    // on earlier pages.
    const last = lastPage(total);
    const what = results.total_pages !== undefined && results.total_pages !== null ? (total === 1 ? "paper" : "papers") : total === 1 ? "result" : "results";
    list.append(el("li", { class: "empty past-end" },
      el("p", { text: `Page ${fmt.format(state.page)} is past the end: the ${fmt.format(total)} ${what} fill ${last === 1 ? "one page" : `${fmt.format(last)} pages`}.` }),
      el("button", { type: "button", class: "link", text: last === 1 ? "Go to the results" : `Go to the last page (${fmt.format(last)})`, onclick: () => goToPage(last) })));
    return;
  }
  if (!results.hits.length) {
    const empty = el("li", { class: "empty" },
      el("p", { text: state.q ? `Nothing matches “${state.q}”${state.filters.length ? " with these filters" : ""}.` : "Nothing matches these filters." }));
    if (state.filters.length) empty.append(el("button", { type: "button", class: "link", text: "Clear the filters", onclick: () => go(withFilters(state, [])) }));
    else if (state.q) empty.append(el("p", { class: "hint", text: "Try fewer words, a prefix such as gen*, or check the spelling." }));
    list.append(empty);
  }
}

const lastPage = (total) => Math.max(1, Math.ceil(total / PAGE_SIZE));

function goToPage(page) {
  go({ ...state, page });
  $("results").focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

function renderPager(results) {
  const nav = $("pager");
  nav.replaceChildren();
  const total = results.total_pages ?? results.total_hits;
  const pages = Math.ceil(total / PAGE_SIZE);
  if (pages <= 1) return;
  const current = state.page;
  const button = (page, text, labelText) => el("button", {
    type: "button", class: page === current ? "current" : "", "aria-current": page === current ? "page" : null,
    "aria-label": labelText || `Page ${page}`, disabled: page < 1 || page > pages || null,
    onclick: () => goToPage(page),
    text,
  });
  // Past the end, Previous goes to the last page.
  nav.append(button(Math.min(current - 1, pages), "‹ Prev", "Previous page"));
  const shown = new Set([1, pages, current - 2, current - 1, current, current + 1, current + 2].filter((p) => p >= 1 && p <= pages));
  let last = 0;
  for (const p of [...shown].sort((a, b) => a - b)) {
    if (p > last + 1) nav.append(el("span", { class: "gap", "aria-hidden": "true", text: "…" }));
    nav.append(button(p, String(p)));
    last = p;
  }
  nav.append(button(current + 1, "Next ›", "Next page"));
}

function renderChips() {
  const box = $("chips");
  box.replaceChildren();
  document.querySelector(".filters-toggle").textContent = state.filters.length ? `Filters (${state.filters.length})` : "Filters";
  if (!state.filters.length) return;
  for (const f of state.filters) {
    const text = `${fieldLabel(f.field)}: ${valueLabel(f.field, f.value)}`;
    box.append(el("button", { type: "button", class: "chip", "aria-label": `Remove filter ${text}`, onclick: () => go(toggleFilter(state, f.field, f.value)) },
      el("span", { text }), el("span", { class: "x", "aria-hidden": "true", text: "×" })));
  }
  box.append(el("button", { type: "button", class: "link clear-all", text: "Clear all", onclick: () => go(withFilters(state, [])) }));
}

const moreShown = new Set(); // facet fields whose whole list is shown
const facetQuery = {}; // the text in each facet's filter box
const allValues = { key: null, byField: {}, loading: new Set() }; // full value lists for the filter boxes

function valueRow(field, c, children) {
  const path = pathOf(c);
  const checked = hasFilter(state, field, path);
  const id = `f-${field}-${path}`.replace(/[^A-Za-z0-9_-]/g, (ch) => `_${ch.charCodeAt(0).toString(16)}`);
  const li = el("li", { class: "value" });
  const row = el("div", { class: "value-row" });
  const openKey = `${field}:${path}`;
  const isOpen = state.open.includes(openKey);
  if (hierarchical(field, path)) {
    row.append(el("button", {
      type: "button", class: "disclose", "aria-expanded": isOpen ? "true" : "false",
      "aria-label": `${isOpen ? "Hide" : "Show"} ${field === "category" ? "mechanisms" : "values"} under ${valueLabel(field, path)}`,
      text: isOpen ? "▾" : "▸", onclick: () => go(toggleOpen(state, openKey), { replace: true }),
    }));
  } else {
    row.append(el("span", { class: "disclose-space", "aria-hidden": "true" }));
  }
  const box = el("input", { type: "checkbox", id, checked: checked || null, "data-field": field, "data-value": path });
  box.addEventListener("change", () => go(toggleFilter(state, field, path)));
  row.append(box, el("label", { for: id, title: path }, el("span", { class: "value-label", text: valueLabel(field, path) }), el("span", { class: "count", text: fmt.format(c.count) })));
  li.append(row);
  if (isOpen && children) li.append(children);
  return li;
}

function childList(field, path, facets, byCategory) {
  if (field === "category") {
    const counts = byCategory[path];
    if (!counts) return null;
    const ul = el("ul", { class: "values nested", "aria-label": `Mechanisms under ${label(path)}` });
    if (!counts.length) ul.append(el("li", { class: "none", text: "no methods" }));
    for (const c of counts) {
      const mech = pathOf(c);
      const both = hasFilter(state, "category", path) && hasFilter(state, "mechanism", mech);
      const id = `m-${path}-${mech}`.replace(/[^A-Za-z0-9_-]/g, (ch) => `_${ch.charCodeAt(0).toString(16)}`);
      const box = el("input", { type: "checkbox", id, checked: both || null, "data-field": "mechanism", "data-value": mech, "data-category": path });
      box.addEventListener("change", () => go(both
        ? withFilters(state, state.filters.filter((f) => !(f.field === "mechanism" && f.value === mech)))
        : selectCell(state, path, mech, false)));
      ul.append(el("li", { class: "value" }, el("div", { class: "value-row" }, el("span", { class: "disclose-space", "aria-hidden": "true" }), box,
        el("label", { for: id }, el("span", { class: "value-label", text: label(mech) }), el("span", { class: "count", text: fmt.format(c.count) })))));
    }
    return ul;
  }
  const counts = countsOf(facets, `${field}=${path}`);
  const ul = el("ul", { class: "values nested", "aria-label": `Values under ${valueLabel(field, path)}` });
  const sorted = field === "date" ? [...counts].sort((a, b) => (pathOf(a) < pathOf(b) ? 1 : -1)) : counts;
  for (const c of sorted) ul.append(valueRow(field, c, childList(field, pathOf(c), facets, byCategory)));
  if (!counts.length) ul.append(el("li", { class: "none", text: "none" }));
  return ul;
}

function renderFacets(facets, byCategory, more) {
  const root = $("facets");
  const key = JSON.stringify([state.q, state.filters]);
  if (allValues.key !== key) Object.assign(allValues, { key, byField: {}, loading: new Set() });
  const redraw = () => renderFacets(facets, byCategory, more);
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("#facets") ? document.activeElement.id : null;
  root.replaceChildren();
  for (const { name, label: title } of FIELDS) {
    const query = (facetQuery[name] || "").toLowerCase();
    const left = more[name] || 0; // values the facet limit left out
    // A query in the filter box looks through every value, fetched once per state.
    const full = query && left ? allValues.byField[name] : null;
    if (query && left && !full && !allValues.loading.has(name)) {
      allValues.loading.add(name);
      loadAllValues(state, name).then((counts) => {
        if (allValues.key !== key) return;
        allValues.byField[name] = counts;
        redraw();
      }, () => allValues.loading.delete(name));
    }
    let counts = [...(full || countsOf(facets, name))];
    // A value written otherwise in a link (`filter=topic:computer vision`, a date as
    // 2025-01-14) stands for the index's value, as the API reads it: it becomes that value
    // in the state and the URL, so the real row is the ticked one.
    const spelled = state.filters.filter((f) => f.field === name && !counts.some((c) => pathOf(c) === f.value));
    for (const f of spelled) {
      const same = counts.find((c) => fold(pathOf(c)) === fold(f.value));
      if (same && !hasFilter(state, name, pathOf(same))) {
        state = { ...state, filters: state.filters.map((g) => (g === f ? { ...g, value: pathOf(same) } : g)) };
        history.replaceState(history.state, "", stateQuery(state));
      }
    }
    // A ticked value stays visible (to untick it) even when nothing carries it now.
    for (const f of state.filters) {
      if (f.field === name && !f.value.slice(1).includes("/") && !counts.some((c) => pathOf(c) === f.value)) counts.push({ path: f.value, count: 0 });
    }
    if (name === "date") counts.sort((a, b) => (pathOf(a) < pathOf(b) ? 1 : -1));
    if (!counts.length) continue;
    const section = el("section", { class: "facet", "aria-labelledby": `facet-${name}` }, el("h3", { id: `facet-${name}`, text: title }));
    if (counts.length + left > FILTER_BOX_FROM) {
      const input = el("input", { type: "search", class: "facet-filter", id: `facet-filter-${name}`, placeholder: `Filter ${title.toLowerCase()}…`, "aria-label": `Filter ${title} values`, value: facetQuery[name] || "" });
      input.addEventListener("input", () => { facetQuery[name] = input.value; redraw(); });
      section.append(input);
    }
    const matching = query ? counts.filter((c) => valueLabel(name, pathOf(c)).toLowerCase().includes(query)) : counts;
    const all = moreShown.has(name) || query;
    // Ticked and opened values stay in the short list.
    const shown = all ? matching : matching.filter((c, i) => i < SHOWN_VALUES || hasFilter(state, name, pathOf(c)) || state.open.includes(`${name}:${pathOf(c)}`));
    const ul = el("ul", { class: "values" });
    for (const c of shown) ul.append(valueRow(name, c, childList(name, pathOf(c), facets, byCategory)));
    if (!matching.length) ul.append(el("li", { class: "none", text: "no value matches" }));
    section.append(ul);
    if (!query && matching.length > SHOWN_VALUES) {
      section.append(el("button", {
        type: "button", class: "link more", "aria-expanded": all ? "true" : "false",
        text: all ? "Show fewer" : `Show ${matching.length - shown.length} more`,
        onclick: () => { if (all) moreShown.delete(name); else moreShown.add(name); redraw(); },
      }));
    }
    if (!query && all && left) section.append(el("p", { class: "hint more", text: `and ${fmt.format(left)} more: type in the box to find them` }));
    root.append(section);
  }
  if (focused) {
    const again = document.getElementById(focused);
    if (again) {
      again.focus();
      if (again.type === "search") again.setSelectionRange(again.value.length, again.value.length);
    }
  }
}

// Filters by one category and one mechanism (a matrix cell), replacing other values of
// both fields; `toggle` clears them when that cell is already the filter.
function selectCell(s, category, mechanism, toggle = true) {
  const rest = s.filters.filter((f) => f.field !== "category" && f.field !== "mechanism");
  const already = hasFilter(s, "category", category) && hasFilter(s, "mechanism", mechanism) &&
    s.filters.filter((f) => f.field === "category" || f.field === "mechanism").length === 2;
  return withFilters(s, toggle && already ? rest : [...rest, { field: "category", value: category }, { field: "mechanism", value: mechanism }]);
}

function renderMatrix(m) {
  const section = $("matrix");
  const body = $("matrix-body");
  if (!m || !m.categories.length || !m.mechanisms.length) {
    section.hidden = true;
    body.replaceChildren();
    return;
  }
  section.hidden = false;
  const max = Math.max(1, ...Object.values(m.cells));
  const table = el("table", { class: "matrix" });
  table.append(el("caption", { class: "visually-hidden", text: "Method counts by category (rows) and mechanism (columns); a cell filters by both." }));
  const headRow = el("tr", {}, el("th", { scope: "col", text: "Category \\ Mechanism" }));
  for (const mech of m.mechanisms) {
    headRow.append(el("th", { scope: "col", title: pathOf(mech), class: hasFilter(state, "mechanism", pathOf(mech)) ? "active-col" : null, text: label(pathOf(mech)) }));
  }
  headRow.append(el("th", { scope: "col", text: "All" }));
  table.append(el("thead", {}, headRow));
  const tbody = el("tbody");
  for (const cat of m.categories) {
    const catPath = pathOf(cat);
    const tr = el("tr", { class: hasFilter(state, "category", catPath) ? "active-row" : null }, el("th", { scope: "row", title: catPath, text: label(catPath) }));
    for (const mech of m.mechanisms) {
      const mechPath = pathOf(mech);
      const n = m.cells[`${catPath}\u0000${mechPath}`] || 0;
      const active = hasFilter(state, "category", catPath) && hasFilter(state, "mechanism", mechPath);
      const td = el("td", {});
      if (n) {
        const level = Math.ceil((n / max) * 4);
        td.append(el("button", {
          type: "button", class: `cell l${level}${active ? " active" : ""}`, "aria-pressed": active ? "true" : "false",
          "aria-label": `${label(catPath)}, ${label(mechPath)}: ${n} method${n === 1 ? "" : "s"}`,
          "data-category": catPath, "data-mechanism": mechPath, text: fmt.format(n),
          onclick: () => go(selectCell(state, catPath, mechPath)),
        }));
      } else {
        td.append(el("span", { class: "zero", "aria-label": "none", text: "·" }));
      }
      tr.append(td);
    }
    tr.append(el("td", { class: "total", text: fmt.format(cat.count) }));
    tbody.append(tr);
  }
  table.append(tbody);
  const foot = el("tr", {}, el("th", { scope: "row", text: "All" }));
  for (const mech of m.mechanisms) foot.append(el("td", { class: "total", text: fmt.format(mech.count) }));
  foot.append(el("td", { class: "total", text: fmt.format(m.total) }));
  table.append(el("tfoot", {}, foot));
  const nodes = [table];
  if (m.moreCategories > 0) nodes.push(el("p", { class: "hint", text: `and ${m.moreCategories} more categories (filter by category in the sidebar)` }));
  body.replaceChildren(...nodes);
}

// ---- running a state --------------------------------------------------------

let controller = null;
let matrixController = null;
let matrixKey = null;
let lastMatrix = null;
let lastFacets = null; // the sidebar's last data, drawn again when the matrix changes what opens

function syncControls() {
  const box = $("q");
  if (box.value !== state.q && document.activeElement !== box) box.value = state.q;
  // Browsing (no query) is newest first unless told otherwise.
  $("sort").value = state.sort || (state.q ? "" : "-date");
  $("group").checked = state.group;
}

async function run() {
  syncControls();
  renderChips();
  if (controller) controller.abort();
  controller = new AbortController();
  const { signal } = controller;
  document.body.classList.add("loading");
  $("hits").setAttribute("aria-busy", "true");
  runMatrix();
  try {
    const { results, facets, more, byCategory } = await load(state, signal);
    if (signal.aborted) return;
    renderSummary(results);
    renderMessages(results, null);
    renderHits(results);
    renderPager(results);
    lastFacets = [facets, byCategory, more];
    renderFacets(facets, byCategory, more);
  } catch (e) {
    if (e.name === "AbortError" || signal.aborted) return;
    $("summary").textContent = "";
    renderMessages(null, e);
    $("hits").replaceChildren();
    $("pager").replaceChildren();
  } finally {
    if (!signal.aborted) {
      document.body.classList.remove("loading");
      $("hits").removeAttribute("aria-busy");
    }
  }
}

async function runMatrix() {
  const key = JSON.stringify([state.q, state.filters.filter((f) => !["kind", "category", "mechanism"].includes(f.field))]);
  if (key === matrixKey) {
    if (lastMatrix) renderMatrix(lastMatrix); // re-mark the active cell
    return;
  }
  matrixKey = key;
  if (matrixController) matrixController.abort();
  matrixController = new AbortController();
  const { signal } = matrixController;
  try {
    const m = await loadMatrix(state, signal);
    if (signal.aborted) return;
    lastMatrix = m;
    renderMatrix(m);
    const known = [...m.withMethods].join("\u0000") === [...methodCategories].join("\u0000");
    methodCategories = m.withMethods;
    if (!known && lastFacets) renderFacets(...lastFacets);
  } catch (e) {
    if (e.name === "AbortError" || signal.aborted) return;
    matrixKey = null;
    lastMatrix = null;
    methodCategories = new Set();
    renderMatrix(null);
  }
}

// ---- events -----------------------------------------------------------------

let debounce = null;
function queryChanged({ now = false } = {}) {
  clearTimeout(debounce);
  const fire = () => {
    const q = $("q").value.trim();
    if (q === state.q) return;
    const replace = typing;
    typing = true;
    go({ ...state, q, page: 1 }, { replace });
  };
  if (now) fire();
  else debounce = setTimeout(fire, DEBOUNCE_MS);
}

function hitItems() {
  return [...document.querySelectorAll("#hits .hit")];
}

function openHit(item) {
  const link = item.querySelector(".hit-link");
  if (link) link.click();
}

function init() {
  $("q").value = state.q;
  $("q").addEventListener("input", () => queryChanged());
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    queryChanged({ now: true });
    typing = false;
  });
  $("sort").addEventListener("change", () => go({ ...state, sort: $("sort").value, page: 1 }));
  $("group").addEventListener("change", () => go({ ...state, group: $("group").checked, page: 1 }));
  // Any other action ends a typing run: the next query gets its own history entry.
  document.addEventListener("click", (e) => { if (e.target !== $("q")) typing = false; });
  window.addEventListener("popstate", () => {
    typing = false;
    state = readState();
    $("q").value = state.q;
    run();
  });
  document.addEventListener("keydown", (e) => {
    const target = e.target;
    const inField = target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement;
    if (e.key === "/" && !inField && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      $("q").focus();
      $("q").select();
      return;
    }
    const items = hitItems();
    if (!items.length) return;
    const current = target.closest ? target.closest("#hits .hit") : null;
    if (e.key === "ArrowDown" && (current || target === $("q"))) {
      e.preventDefault();
      const i = current ? items.indexOf(current) + 1 : 0;
      items[Math.min(i, items.length - 1)].focus();
    } else if (e.key === "ArrowUp" && current) {
      e.preventDefault();
      const i = items.indexOf(current) - 1;
      if (i < 0) $("q").focus();
      else items[i].focus();
    } else if (e.key === "Enter" && current === target) {
      e.preventDefault();
      openHit(current);
    } else if (e.key === "Escape" && target === $("q")) {
      if ($("q").value) {
        $("q").value = "";
        queryChanged({ now: true });
      }
    }
  });
  // A phone starts with the filters folded away; a wide window always shows them.
  const narrow = window.matchMedia("(max-width: 720px)");
  if (narrow.matches) $("filters-panel").open = false;
  narrow.addEventListener("change", () => { if (!narrow.matches) $("filters-panel").open = true; });
  history.replaceState({ typing: false }, "", stateQuery(state));
  run();
}

init();
