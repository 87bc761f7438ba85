#pragma once
// The server's own pages, self-contained (no external scripts, styles or fonts), reading the
// Jaeger routes of jaeger_api.hpp from the same origin:
//
//   /, /search    search form (service, operation, tags, durations, time range, limit, or the
//                 query language through Tempo's /api/search), a results list, a duration
//                 scatter plot and the service dependency graph (SVG)
//   /trace/{id}   the waterfall of one trace: a time axis, collapsible subtrees, the
//                 critical path highlighted, span details in a side panel
//
// The form's state lives in the page's URL (/search?service=cart&limit=20), so a search can
// be linked and reloaded. Every bar, dot and graph node records where it was drawn
// (data-* attributes) and the body gets data-rendered="yes" once drawn, for the browser
// checks (tests/html/check_query_pages.py).

#include <string_view>

#include "trace/api/detail/responses.hpp"
#include "trace/api/http_exchange.hpp"

namespace trace {
inline namespace v0 {
namespace api {

http_response search_page();
http_response trace_page();  // the trace id is read from the page's own path

// ---------------------------------------------------------------------------------------

namespace detail {

// Shared look: service colours are picked by hashing the name into this palette, the same
// on both pages.
inline constexpr std::string_view page_head = R"PAGE(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#fff}
header{background:#1d2330;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:baseline}
header a{color:#9cc3ff;text-decoration:none}header h1{font-size:15px;margin:0}
main{padding:12px 16px}
.muted{color:#6b7385}.error{color:#b3261e;white-space:pre-wrap;font-family:monospace}
form{display:grid;grid-template-columns:repeat(4,minmax(140px,1fr));gap:8px 12px;align-items:end;margin-bottom:12px}
form label{display:flex;flex-direction:column;font-size:12px;color:#4a5266}
input,select,button{font:inherit;padding:4px 6px;border:1px solid #c5cad6;border-radius:4px}
button{background:#2a62d9;color:#fff;border-color:#2a62d9;cursor:pointer}
.wide{grid-column:span 2}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:3px 6px;border-bottom:1px solid #eceef3;vertical-align:top}
.panels{display:grid;grid-template-columns:1fr 1fr;gap:16px;margin:12px 0}
svg text{font:11px system-ui,sans-serif}
.chip{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;font-size:11px}
</style>
)PAGE";

inline constexpr std::string_view page_common_script = R"PAGE(
const palette = ['#2a62d9', '#d9822b', '#2e9e5b', '#b83fb0', '#c43c3c', '#1f9aa8', '#7a5cd6', '#8a6d1f'];
function colourOf(name) { let h = 0; for (const c of name) h = (h * 31 + c.codePointAt(0)) >>> 0; return palette[h % palette.length]; }
function el(tag, attrs, ...children) {
  const e = tag.startsWith('svg:') ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}
function fmtDuration(us) {
  if (us < 1000) return us + 'µs';
  if (us < 1e6) return +(us / 1000).toPrecision(3) + 'ms';
  return +(us / 1e6).toPrecision(3) + 's';
}
async function getJSON(url) {
  const r = await fetch(url);
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error((body && body.errors && body.errors[0] && body.errors[0].msg) || (r.status + ' ' + r.statusText));
  return body;
}
)PAGE";

inline constexpr std::string_view search_page_body = R"PAGE(<title>Trace search</title></head>
<body><header><h1>Trace search</h1><a href="/search">new search</a></header><main>
<form id="form">
<label>Service<select name="service" id="service"></select></label>
<label>Operation<select name="operation" id="operation"><option value="">all</option></select></label>
<label class="wide">Tags (logfmt)<input name="tags" placeholder="http.status_code=500 error=true"></label>
<label>Min duration<input name="minDuration" placeholder="100ms"></label>
<label>Max duration<input name="maxDuration" placeholder="1.5s"></label>
<label>Lookback<select name="lookback"><option>1h</option><option>6h</option><option>1d</option><option>7d</option><option value="all">all</option></select></label>
<label>Limit<input name="limit" value="20" type="number" min="1"></label>
<label class="wide">Query language (Tempo /api/search; replaces the fields above)<input name="q" placeholder='{ status = error && duration > 100ms }'></label>
<button type="submit">Find traces</button>
</form>
<div id="message" class="error"></div>
<div class="panels"><div><h3>Durations</h3><svg id="scatter" width="560" height="220"></svg></div>
<div><h3>Service dependencies</h3><svg id="graph" width="560" height="220"></svg></div></div>
<h3 id="count"></h3><table><thead><tr><th>Trace</th><th>Spans</th><th>Services</th><th>Duration</th><th>Start</th></tr></thead>
<tbody id="results"></tbody></table>
</main><script>
)PAGE";

inline constexpr std::string_view search_page_script = R"PAGE(
const params = new URLSearchParams(location.search);
const form = document.getElementById('form');
const message = document.getElementById('message');
const lookbackUs = {'1h': 3600e6, '6h': 6 * 3600e6, '1d': 86400e6, '7d': 7 * 86400e6};

function logfmtToJSON(text) {
  const tags = {};
  for (const m of text.matchAll(/([^\s=]+)=("([^"]*)"|\S*)/g)) tags[m[1]] = m[3] !== undefined ? m[3] : m[2];
  return JSON.stringify(tags);
}

// Traces as rows: Jaeger's search answer, or Tempo's when the query language is used.
function rowsFromJaeger(body) {
  return body.data.map(t => {
    const starts = t.spans.map(s => s.startTime), ends = t.spans.map(s => s.startTime + s.duration);
    const ids = new Set(t.spans.map(s => s.spanID));
    const root = t.spans.find(s => !s.references.some(r => r.refType === 'CHILD_OF' && ids.has(r.spanID))) || t.spans[0];
    const services = [...new Set(t.spans.map(s => t.processes[s.processID].serviceName))];
    return {id: t.traceID, name: t.processes[root.processID].serviceName + ': ' + root.operationName, spans: t.spans.length,
            services, start: Math.min(...starts), duration: Math.max(...ends) - Math.min(...starts)};
  });
}
function rowsFromTempo(body) {
  return body.traces.map(t => ({id: t.traceID, name: t.rootServiceName + ': ' + t.rootTraceName,
    spans: t.spanSet ? t.spanSet.matched + ' matched' : '', services: [t.rootServiceName],
    start: Number(BigInt(t.startTimeUnixNano) / 1000n), duration: t.durationMs * 1000}));
}

function drawResults(rows) {
  document.getElementById('count').textContent = rows.length + (rows.length === 1 ? ' trace' : ' traces');
  const body = document.getElementById('results');
  body.replaceChildren();
  for (const r of rows) {
    const chips = r.services.map(s => el('span', {class: 'chip', style: 'background:' + colourOf(s)}, s));
    body.append(el('tr', {class: 'result', 'data-trace': r.id},
      el('td', {}, el('a', {href: '/trace/' + r.id}, r.name)), el('td', {}, String(r.spans)),
      el('td', {}, ...chips), el('td', {}, fmtDuration(r.duration)), el('td', {}, new Date(r.start / 1000).toISOString())));
  }
  drawScatter(rows);
}

function drawScatter(rows) {
  const svg = document.getElementById('scatter');
  svg.replaceChildren();
  const W = +svg.getAttribute('width'), H = +svg.getAttribute('height'), pad = 40;
  svg.append(el('svg:line', {x1: pad, y1: H - pad, x2: W - 8, y2: H - pad, stroke: '#99a'}),
             el('svg:line', {x1: pad, y1: 8, x2: pad, y2: H - pad, stroke: '#99a'}));
  if (!rows.length) return;
  const t0 = Math.min(...rows.map(r => r.start)), t1 = Math.max(...rows.map(r => r.start));
  const dmax = Math.max(...rows.map(r => r.duration), 1);
  svg.append(el('svg:text', {x: 2, y: 14}, fmtDuration(dmax)), el('svg:text', {x: 2, y: H - pad}, '0'),
             el('svg:text', {x: pad, y: H - pad + 16}, new Date(t0 / 1000).toISOString().slice(11, 19)),
             el('svg:text', {x: W - 70, y: H - pad + 16}, new Date(t1 / 1000).toISOString().slice(11, 19)));
  for (const r of rows) {
    const x = pad + (t1 > t0 ? (r.start - t0) / (t1 - t0) : 0.5) * (W - pad - 16);
    const y = H - pad - r.duration / dmax * (H - pad - 16);
    const dot = el('svg:circle', {class: 'dot', cx: x.toFixed(1), cy: y.toFixed(1), r: 5, fill: colourOf(r.services[0] || ''),
                                  'data-trace': r.id, 'data-duration-us': r.duration, style: 'cursor:pointer'});
    dot.append(el('svg:title', {}, r.name + ' ' + fmtDuration(r.duration)));
    dot.addEventListener('click', () => { location.href = '/trace/' + r.id; });
    svg.append(dot);
  }
}

async function drawGraph(endUs, lookbackUsValue) {
  const svg = document.getElementById('graph');
  svg.replaceChildren();
  const url = '/api/dependencies?endTs=' + Math.floor(endUs / 1000) + '&lookback=' + Math.floor(lookbackUsValue / 1000);
  const edges = (await getJSON(url)).data;
  const names = [...new Set(edges.flatMap(e => [e.parent, e.child]))].sort();
  const W = +svg.getAttribute('width'), H = +svg.getAttribute('height');
  svg.append(el('svg:defs', {}, el('svg:marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto'},
    el('svg:path', {d: 'M0,0L10,5L0,10z', fill: '#778'}))));
  const at = {};
  names.forEach((n, i) => {
    const a = names.length === 1 ? 0 : 2 * Math.PI * i / names.length - Math.PI / 2;
    at[n] = {x: W / 2 + Math.cos(a) * (W / 2 - 80), y: (H - 16) / 2 + Math.sin(a) * ((H - 16) / 2 - 24)};
  });
  for (const e of edges) {
    const a = at[e.parent], b = at[e.child], len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    const ux = (b.x - a.x) / len, uy = (b.y - a.y) / len;
    svg.append(el('svg:line', {class: 'edge', x1: a.x + ux * 22, y1: a.y + uy * 22, x2: b.x - ux * 22, y2: b.y - uy * 22,
                               stroke: '#778', 'marker-end': 'url(#arrow)', 'data-parent': e.parent, 'data-child': e.child,
                               'data-calls': e.callCount}),
               el('svg:text', {x: (a.x + b.x) / 2 + 4, y: (a.y + b.y) / 2 - 4}, String(e.callCount)));
  }
  for (const n of names)
    svg.append(el('svg:circle', {class: 'node', cx: at[n].x, cy: at[n].y, r: 20, fill: colourOf(n), 'data-service': n}),
               el('svg:text', {x: at[n].x, y: at[n].y + 34, 'text-anchor': 'middle'}, n));
  if (!names.length) svg.append(el('svg:text', {x: 10, y: 20}, 'no calls between services in this window'));
}

async function search() {
  message.textContent = '';
  const nowUs = Date.now() * 1000;
  const lookback = params.get('lookback') || '1h';
  const windowUs = lookbackUs[lookback] || nowUs;  // "all": back to the epoch
  let rows;
  if (params.get('q')) {
    const q = new URLSearchParams({q: params.get('q'), limit: params.get('limit') || '20'});
    if (lookback !== 'all') { q.set('start', Math.floor((nowUs - windowUs) / 1e6)); q.set('end', Math.ceil(nowUs / 1e6)); }
    rows = rowsFromTempo(await getJSON('/api/search?' + q));
  } else {
    const q = new URLSearchParams({service: params.get('service'), limit: params.get('limit') || '20'});
    for (const k of ['operation', 'minDuration', 'maxDuration']) if (params.get(k)) q.set(k, params.get(k));
    if (params.get('tags')) q.set('tags', logfmtToJSON(params.get('tags')));
    if (lookback !== 'all') { q.set('start', nowUs - windowUs); q.set('end', nowUs); }
    rows = rowsFromJaeger(await getJSON('/api/traces?' + q));
  }
  rows.sort((a, b) => b.start - a.start);
  drawResults(rows);
  await drawGraph(nowUs, windowUs);
}

async function start() {
  try {
    const services = (await getJSON('/api/services')).data;
    const select = document.getElementById('service');
    for (const s of services) select.append(el('option', {value: s}, s));
    if (params.get('service')) select.value = params.get('service');
    const operations = document.getElementById('operation');
    const loadOperations = async () => {
      operations.replaceChildren(el('option', {value: ''}, 'all'));
      if (!select.value) return;
      for (const o of (await getJSON('/api/services/' + encodeURIComponent(select.value) + '/operations')).data)
        operations.append(el('option', {value: o}, o));
    };
    select.addEventListener('change', loadOperations);
    await loadOperations();
    for (const [k, v] of params) if (form.elements[k] && k !== 'service') form.elements[k].value = v;
    if (params.get('service') || params.get('q')) await search();
    else await drawGraph(Date.now() * 1000, lookbackUs[params.get('lookback') || '1h']);
  } catch (e) {
    message.textContent = e.message;
  }
  document.body.setAttribute('data-rendered', 'yes');
}
form.addEventListener('submit', ev => {
  ev.preventDefault();
  const q = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (v) q.set(k, v);
  location.search = q.toString();
});
start();
</script></body></html>
)PAGE";

inline constexpr std::string_view trace_page_body = R"PAGE(<title>Trace</title>
<style>
#summary{margin-bottom:8px}.layout{display:grid;grid-template-columns:1fr 340px;gap:12px}
.row{display:grid;grid-template-columns:300px 1fr;align-items:center;height:22px;border-bottom:1px solid #f1f2f6;cursor:pointer}
.row:hover{background:#f6f8fc}.row.selected{background:#e8effd}
.label{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding-right:6px}
.toggle{display:inline-block;width:14px;color:#6b7385}
.track{position:relative;height:14px}
.bar{position:absolute;top:0;height:14px;border-radius:2px;min-width:1px}
.bar.critical{box-shadow:inset 0 -3px 0 #1d2330}.bar.error{outline:2px solid #b3261e}
.axis{display:grid;grid-template-columns:300px 1fr;height:20px;border-bottom:1px solid #c5cad6}
.ticks{position:relative}.tick{position:absolute;top:2px;font-size:11px;color:#6b7385;border-left:1px solid #c5cad6;padding-left:3px;height:16px}
#rows{position:relative}
#details{border-left:1px solid #eceef3;padding-left:12px}#details h3{margin:0 0 6px}
</style></head>
<body><header><h1>Trace <span id="trace-id"></span></h1><a href="/search">search</a>
<label style="color:#fff"><input type="checkbox" id="show-critical" checked> critical path</label></header>
<main><div id="summary" class="muted"></div><div id="message" class="error"></div>
<div class="layout"><div><div class="axis"><div class="muted">Service: operation</div><div class="ticks" id="ticks"></div></div>
<div id="rows"></div></div><aside id="details" class="muted">Click a span for its details.</aside></div>
</main><script>
)PAGE";

inline constexpr std::string_view trace_page_script = R"PAGE(
const traceId = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');
document.getElementById('trace-id').textContent = traceId;
const collapsed = new Set();
let spans = [], byId = {}, children = {}, roots = [], t0 = 0, total = 1, critical = new Set(), processes = {};

function tagText(t) { return typeof t.value === 'string' ? t.value : JSON.stringify(t.value); }

// The critical path, walking back from each root's end: the child that finishes last before
// the point reached is on it, then the point moves to that child's start; recursively.
function criticalPath() {
  const out = new Set();
  const walk = (s, until) => {
    out.add(s.spanID);
    let cursor = Math.min(until, s.startTime + s.duration);
    const kids = (children[s.spanID] || []).slice().sort((a, b) => (b.startTime + b.duration) - (a.startTime + a.duration));
    for (const c of kids) {
      if (c.startTime >= cursor) continue;
      walk(c, cursor);
      cursor = c.startTime;
    }
  };
  for (const r of roots) walk(r, Infinity);
  return out;
}

function showDetails(s) {
  document.querySelectorAll('.row.selected').forEach(r => r.classList.remove('selected'));
  document.querySelector('.row[data-span="' + s.spanID + '"]').classList.add('selected');
  const p = processes[s.processID];
  const rows = [['Service', p.serviceName], ['Operation', s.operationName], ['Span ID', s.spanID],
                ['Parent', (s.references.find(r => r.refType === 'CHILD_OF') || {}).spanID || '(root)'],
                ['Start', '+' + fmtDuration(s.startTime - t0)], ['Duration', fmtDuration(s.duration)],
                ['On the critical path', critical.has(s.spanID) ? 'yes' : 'no']];
  const table = (title, items) => [el('h4', {}, title),
    el('table', {}, ...items.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v))))];
  const box = document.getElementById('details');
  box.className = '';
  box.replaceChildren(el('h3', {}, s.operationName), ...table('Span', rows),
    ...table('Tags', s.tags.map(t => [t.key, tagText(t)])),
    ...table('Process', p.tags.map(t => [t.key, tagText(t)])),
    ...table('Logs', s.logs.map(l => ['+' + fmtDuration(l.timestamp - t0), l.fields.map(f => f.key + '=' + tagText(f)).join(' ')])));
}

function draw() {
  const rowsBox = document.getElementById('rows');
  rowsBox.replaceChildren();
  const showCritical = document.getElementById('show-critical').checked;
  const visit = (s, depth) => {
    const kids = children[s.spanID] || [];
    const service = processes[s.processID].serviceName, colour = colourOf(service);
    const isError = s.tags.some(t => t.key === 'error' && t.value === true);
    const bar = el('div', {class: 'bar' + (showCritical && critical.has(s.spanID) ? ' critical' : '') + (isError ? ' error' : ''),
      style: 'left:' + ((s.startTime - t0) / total * 100) + '%;width:' + (s.duration / total * 100) + '%;background:' + colour,
      'data-span': s.spanID, 'data-start-us': s.startTime - t0, 'data-duration-us': s.duration, 'data-colour': colour,
      'data-critical': critical.has(s.spanID) ? 'yes' : 'no'});
    bar.title = fmtDuration(s.duration);
    const toggle = el('span', {class: 'toggle'}, kids.length ? (collapsed.has(s.spanID) ? '▸' : '▾') : '');
    const row = el('div', {class: 'row', 'data-span': s.spanID, 'data-depth': depth},
      el('div', {class: 'label', style: 'padding-left:' + depth * 14 + 'px'}, toggle,
         el('b', {style: 'color:' + colour}, service), ' ' + s.operationName),
      el('div', {class: 'track'}, bar));
    toggle.addEventListener('click', ev => {
      ev.stopPropagation();
      if (collapsed.has(s.spanID)) collapsed.delete(s.spanID); else collapsed.add(s.spanID);
      draw();
    });
    row.addEventListener('click', () => showDetails(s));
    rowsBox.append(row);
    if (!collapsed.has(s.spanID)) for (const c of kids) visit(c, depth + 1);
  };
  for (const r of roots) visit(r, 0);
  // Where each bar landed, for the browser checks.
  for (const bar of rowsBox.querySelectorAll('.bar')) {
    const box = bar.getBoundingClientRect(), track = bar.parentElement.getBoundingClientRect();
    bar.setAttribute('data-left-px', (box.left - track.left).toFixed(2));
    bar.setAttribute('data-width-px', box.width.toFixed(2));
    bar.setAttribute('data-track-px', track.width.toFixed(2));
    bar.setAttribute('data-page-x', (box.left + scrollX).toFixed(1));
    bar.setAttribute('data-page-y', (box.top + scrollY).toFixed(1));
  }
}

function drawAxis() {
  const ticks = document.getElementById('ticks');
  ticks.replaceChildren();
  for (let i = 0; i <= 4; ++i)
    ticks.append(el('div', {class: 'tick', style: i < 4 ? 'left:' + (i * 25) + '%' : 'right:0;border-left:0;border-right:1px solid #c5cad6;padding-right:3px'},
                    fmtDuration(Math.round(total * i / 4))));  // the last label ends at the axis' end
}

async function start() {
  try {
    const body = await getJSON('/api/traces/' + encodeURIComponent(traceId));
    const trace = body.data[0];
    spans = trace.spans;
    processes = trace.processes;
    for (const s of spans) byId[s.spanID] = s;
    for (const s of spans) {
      const parent = s.references.find(r => r.refType === 'CHILD_OF' && byId[r.spanID]);
      if (parent) (children[parent.spanID] = children[parent.spanID] || []).push(s); else roots.push(s);
    }
    for (const list of Object.values(children)) list.sort((a, b) => a.startTime - b.startTime);
    roots.sort((a, b) => a.startTime - b.startTime);
    t0 = Math.min(...spans.map(s => s.startTime));
    total = Math.max(1, Math.max(...spans.map(s => s.startTime + s.duration)) - t0);
    critical = criticalPath();
    const services = new Set(spans.map(s => processes[s.processID].serviceName));
    document.getElementById('summary').textContent = spans.length + ' spans, ' + services.size + ' services, ' +
      fmtDuration(total) + ', started ' + new Date(t0 / 1000).toISOString();
    document.title = 'Trace ' + traceId;
    drawAxis();
    draw();
    document.getElementById('show-critical').addEventListener('change', draw);
  } catch (e) {
    document.getElementById('message').textContent = e.message;
  }
  document.body.setAttribute('data-rendered', 'yes');
}
start();
</script></body></html>
)PAGE";

inline http_response html_page(std::initializer_list<std::string_view> parts) {
  http_response out;
  out.content_type = "text/html; charset=utf-8";
  for (std::string_view part : parts) out.body += part;
  return out;
}

}  // namespace detail

inline http_response search_page() {
  return detail::html_page({detail::page_head, detail::search_page_body, detail::page_common_script, detail::search_page_script});
}

inline http_response trace_page() {
  return detail::html_page({detail::page_head, detail::trace_page_body, detail::page_common_script, detail::trace_page_script});
}

}  // namespace api
}  // namespace v0
}  // namespace trace
