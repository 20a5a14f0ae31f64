'use strict';
// jobtrack dashboard: every value reaches the page through textContent or a
// property, never through innerHTML, so titles, tags and messages show as text.
(function () {
  const STATUSES = ['queued', 'delayed', 'started', 'paused', 'stuck', 'succeeded', 'failed', 'cancelled'];
  const TAG_OPS = ['=', '!=', '<', '<=', '>', '>='];
  const main = document.getElementById('main');
  let info = null;
  let view = null;          // { kind, ... } of the page shown
  let streamId = null, es = null, connectedOnce = false;
  const stats = { events: 0, batches: 0, frames: 0, maxApplyMs: 0 };
  window.jobtrackDashboard = stats; // read by the tests

  // ------------------------------------------------------------ helpers

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = String(v);
        else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
        else if (k.startsWith('data-')) el.setAttribute(k, String(v));
        else if (k in el) el[k] = v;
        else el.setAttribute(k, String(v));
      }
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  async function api(path, init) {
    const r = await fetch(path, init);
    const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
    if (!r.ok) { const e = new Error(body.error || `HTTP ${r.status}`); e.status = r.status; throw e; }
    return body;
  }

  function fmtTime(t) {
    if (!t) return '';
    const d = new Date(t);
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function ago(t) {
    if (!t) return '';
    let s = Math.max(0, Math.round((Date.now() - new Date(t).getTime()) / 1000));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm';
    if (s < 86400) return Math.floor(s / 3600) + 'h' + Math.floor((s % 3600) / 60) + 'm';
    return Math.floor(s / 86400) + 'd' + Math.floor((s % 86400) / 3600) + 'h';
  }

  function statusBadge(s) { return h('span', { class: 'status ' + s, text: s }); }

  function groupBar(g, wide) {
    const t = g.total || 0;
    const w = (n) => (t ? (100 * n / t) : 0) + '%';
    const bar = h('div', { class: 'bar' + (wide ? ' wide' : ''), title: `${g.succeeded} succeeded, ${g.failed} failed, ${g.cancelled} cancelled, ${g.started} running of ${t}` },
      h('span', { class: 'seg-ok' }), h('span', { class: 'seg-bad' }), h('span', { class: 'seg-cancel' }), h('span', { class: 'seg-run' }));
    const [ok, bad, can, run] = bar.children;
    ok.style.width = w(g.succeeded); bad.style.width = w(g.failed); can.style.width = w(g.cancelled); run.style.width = w(g.started);
    return bar;
  }

  function groupPct(g) { return g.total ? Math.floor(100 * g.finished / g.total) : 0; }

  function jobBar(j) {
    const bar = h('div', { class: 'bar' }, h('span', { class: j.status === 'failed' ? 'seg-bad' : j.status === 'cancelled' ? 'seg-cancel' : 'seg-ok' }));
    bar.firstChild.style.width = Math.max(0, Math.min(100, Number(j.percentage) || 0)) + '%';
    return bar;
  }

  function tagChips(tags) {
    const out = [];
    if (tags && typeof tags === 'object') {
      for (const [k, v] of Object.entries(tags)) {
        const val = typeof v === 'string' ? v : JSON.stringify(v);
        out.push(h('span', { class: 'tag', title: 'filter by this tag', text: `${k}: ${val}`,
          onclick: (e) => { e.preventDefault(); e.stopPropagation(); go('#/jobs?' + new URLSearchParams({ tag: k, op: '=', value: val })); } }));
      }
    }
    return out;
  }

  function go(hash) { if (location.hash === hash) route(); else location.hash = hash; }

  function showError(e) {
    main.replaceChildren(h('p', { class: 'error', text: 'Error: ' + e.message }));
  }

  // ------------------------------------------------------------ group rows

  function groupRowEl(g) {
    const tr = h('tr', { 'data-group': g.id },
      h('td', { class: 'num' }, h('a', { href: '#/groups/' + g.id, text: g.id })),
      h('td', { class: 'title', title: g.title }, h('a', { href: '#/groups/' + g.id, text: g.title })),
      h('td', { class: 'gstatus' }),
      h('td', { class: 'num run' }),
      h('td', { class: 'barcell' }),
      h('td', { class: 'pct' }),
      h('td', { class: 'num counts' }),
      h('td', { class: 'num age' }));
    fillGroupRow(tr, g);
    return tr;
  }

  function fillGroupRow(tr, g) {
    const c = tr.children;
    c[2].replaceChildren(statusBadge(g.status));
    c[3].textContent = g.run;
    c[4].replaceChildren(groupBar(g));
    c[5].textContent = groupPct(g) + '%';
    c[6].textContent = `${g.finished}/${g.total}` + (g.failed ? ` (${g.failed} failed)` : '');
    c[7].textContent = ago(g.started_at || g.created_at);
    tr.dataset.status = g.status;
  }

  // ------------------------------------------------------------ pages

  async function groupsPage(params, load) {
    const status = params.get('status') || 'open';
    const before = params.get('before');
    const qs = new URLSearchParams({ status });
    if (before) qs.set('before', before);
    const d = await api('/api/groups?' + qs);
    if (stale(load)) return;
    const tbody = h('tbody', { id: 'groups' }, d.groups.map(groupRowEl));
    const select = h('select', { id: 'group-status', onchange: () => go('#/?' + new URLSearchParams({ status: select.value })) },
      ['open', 'running', 'pending', 'completed', 'all'].map((s) => h('option', { value: s, text: s, selected: s === status })));
    main.replaceChildren(
      h('h1', { text: 'Groups' }),
      h('p', null, h('span', { id: 'open-count', text: `${d.open} open groups` }), ' · show ', select),
      h('table', { class: 'groups' },
        h('thead', null, h('tr', null, ['id', 'title', 'status', 'run', 'progress', '', 'finished', 'age']
          .map((t, i) => h('th', { class: [0, 3, 6, 7].includes(i) ? 'num' : '', text: t })))),
        tbody),
      h('p', { class: 'pager' }, d.more ? h('a', { id: 'next', href: '#/?' + new URLSearchParams({ status, before: d.groups[d.groups.length - 1].id }), text: 'older groups →' }) : null));
    view = { kind: 'groups', status, firstPage: !before, tbody };
    watchJobs([]);
  }

  function eventItem(e) {
    const c = e.counts;
    return h('li', { 'data-event': e.id },
      h('time', { text: fmtTime(e.created_at) }),
      h('b', { text: e.event }), ` run ${e.run}`,
      c ? h('span', { class: 'muted', text: ` — ${c.finished}/${c.total} finished, ${c.failed} failed, ${c.cancelled} cancelled` }) : null);
  }

  async function groupPage(id, load) {
    const d = await api('/api/groups/' + id);
    if (stale(load)) return;
    const g = d.group;
    const head = h('div', { id: 'group-head', 'data-group': g.id });
    fillGroupHead(head, g);
    const events = h('ol', { class: 'timeline', id: 'events' }, d.events.map(eventItem));
    main.replaceChildren(
      h('h1', { id: 'group-title', text: g.title }),
      head,
      h('h2', { text: 'Events' }), events,
      h('h2', null, 'Jobs ', h('a', { href: '#/jobs?' + new URLSearchParams({ group: g.id }), text: '(filter)' })),
      jobsTable(d.jobs));
    view = { kind: 'group', id: g.id, events };
    watchJobs(d.jobs.map((j) => j.id));
  }

  function fillGroupHead(head, g) {
    head.replaceChildren(
      h('p', null, statusBadge(g.status), ` run ${g.run} · `, h('span', { class: 'pct', text: groupPct(g) + '%' }),
        ` · ${g.finished}/${g.total} finished · ${g.succeeded} succeeded, ${g.failed} failed, ${g.cancelled} cancelled, ${g.started} running, ${g.queued + g.delayed} queued`),
      groupBar(g, true),
      h('p', { class: 'muted', text: `created ${fmtTime(g.created_at)}` + (g.started_at ? ` · started ${fmtTime(g.started_at)}` : '') + (g.completed_at ? ` · completed ${fmtTime(g.completed_at)}` : '') }));
    head.dataset.status = g.status;
  }

  function jobRowEl(j) {
    const tr = h('tr', { 'data-job': j.id },
      h('td', { class: 'num' }, h('a', { href: '#/jobs/' + j.id, text: j.id })),
      h('td', null, h('a', { href: '#/jobs/' + j.id, text: j.job_type })),
      h('td', { text: j.alias || '' }),
      h('td', { class: 'jstatus' }),
      h('td', { class: 'barcell' }),
      h('td', { class: 'pct' }),
      h('td', null, j.group_id ? h('a', { href: '#/groups/' + j.group_id, text: j.group_id }) : ''),
      h('td', null, tagChips(j.tags)),
      h('td', { class: 'num', text: j.attempts }));
    fillJobRow(tr, j);
    return tr;
  }

  function fillJobRow(tr, j) {
    const c = tr.children;
    c[3].replaceChildren(statusBadge(j.status));
    c[4].replaceChildren(jobBar(j));
    c[5].textContent = Math.floor(Number(j.percentage) || 0) + '%';
  }

  function jobsTable(jobs) {
    return h('table', { class: 'jobs' },
      h('thead', null, h('tr', null, ['id', 'type', 'alias', 'status', 'progress', '', 'group', 'tags', 'attempt']
        .map((t) => h('th', { text: t })))),
      h('tbody', { id: 'jobs' }, jobs.map(jobRowEl)));
  }

  async function jobsPage(params, load) {
    const qs = new URLSearchParams();
    for (const k of ['type', 'alias', 'tag', 'op', 'value', 'status', 'group', 'before']) if (params.get(k)) qs.set(k, params.get(k));
    const d = await api('/api/jobs?' + qs);
    if (stale(load)) return;
    const f = {};
    const statuses = new Set((params.get('status') || '').split(',').filter(Boolean));
    const form = h('form', { class: 'filters', id: 'filters', onsubmit: (e) => {
      e.preventDefault();
      const n = new URLSearchParams();
      for (const k of ['type', 'alias', 'tag', 'op', 'value', 'group']) if (f[k].value && !(k === 'op' && !f.tag.value)) n.set(k, f[k].value);
      const st = STATUSES.filter((s) => f['st_' + s].checked);
      if (st.length) n.set('status', st.join(','));
      go('#/jobs?' + n);
    } },
    h('label', null, 'type', f.type = h('input', { name: 'type', value: params.get('type') || '', size: 14 })),
    h('label', null, 'alias', f.alias = h('input', { name: 'alias', value: params.get('alias') || '', size: 12 })),
    h('label', null, 'tag', f.tag = h('input', { name: 'tag', value: params.get('tag') || '', size: 10, placeholder: 'key' })),
    h('label', null, 'op', f.op = h('select', { name: 'op' }, TAG_OPS.map((o) => h('option', { value: o, text: o, selected: o === (params.get('op') || '=') })))),
    h('label', null, 'value', f.value = h('input', { name: 'value', value: params.get('value') || '', size: 10 })),
    h('label', null, 'group', f.group = h('input', { name: 'group', value: params.get('group') || '', size: 6, inputMode: 'numeric' })),
    h('fieldset', null, STATUSES.map((s) => h('label', null, f['st_' + s] = h('input', { type: 'checkbox', name: 'st_' + s, checked: statuses.has(s) }), s))),
    h('button', { type: 'submit', id: 'apply', text: 'Filter' }));
    const next = new URLSearchParams(qs);
    if (d.more) next.set('before', d.jobs[d.jobs.length - 1].id);
    main.replaceChildren(
      h('h1', { text: 'Jobs' }), form,
      d.jobs.length ? jobsTable(d.jobs) : h('p', { class: 'muted', id: 'no-jobs', text: 'No job matches.' }),
      h('p', { class: 'pager' }, d.more ? h('a', { id: 'next', href: '#/jobs?' + next, text: 'older jobs →' }) : null));
    view = { kind: 'jobs' };
    watchJobs(d.jobs.map((j) => j.id));
  }

  function jobFields(dl, j) {
    const rows = [
      ['status', statusBadge(j.status)], ['progress', h('span', null, jobBar(j), ` ${Math.floor(Number(j.percentage) || 0)}%` +
        (j.progress_total ? ` (${j.progress_current}/${j.progress_total})` : ''))],
      ['type', j.job_type], ['alias', j.alias || ''], ['external id', j.external_id || ''],
      ['group', j.group_id ? h('a', { href: '#/groups/' + j.group_id, text: `${j.group_id}: ${j.group_title || ''}` }) : ''],
      ['tags', h('span', null, tagChips(j.tags))], ['attempt', String(j.attempts)],
      ['failed reason', j.failed_reason || ''], ['data', j.data === null || j.data === undefined ? '' : JSON.stringify(j.data, null, 1)],
      ['owner', j.owner || ''], ['heartbeat', j.heartbeat_at ? `${fmtTime(j.heartbeat_at)} (${ago(j.heartbeat_at)} ago)` : ''],
    ];
    dl.replaceChildren(...rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { 'data-field': k }, v)]));
  }

  function timeline(d) {
    const j = d.job;
    const items = [];
    const add = (at, ...what) => { if (at) items.push({ at, what }); };
    add(j.created_at, h('b', { text: 'created' }), ` (${j.job_type})`);
    if (j.available_at && j.status === 'delayed') add(j.available_at, h('b', { text: 'available' }));
    add(j.started_at, h('b', { text: 'started' }), ` attempt ${j.attempts}`);
    add(j.heartbeat_at, h('b', { text: 'last heartbeat' }));
    add(j.finished_at, h('b', { text: j.status }), j.failed_reason ? ': ' + j.failed_reason : '');
    for (const m of d.messages) add(m.created_at, h('span', { class: 'lvl ' + m.level, text: m.level }), m.message);
    for (const s of d.signals) add(s.created_at, h('b', { text: 'signal ' }), s.signal, s.cancel_job ? ' (cancel job)' : '', s.handled_at ? ` · handled ${fmtTime(s.handled_at)}` : ' · not handled yet');
    items.sort((a, b) => new Date(a.at) - new Date(b.at));
    return h('ol', { class: 'timeline', id: 'timeline' }, items.map((it) => h('li', null, h('time', { text: fmtTime(it.at) }), ...it.what)));
  }

  async function jobPage(id, load) {
    const d = await api('/api/jobs/' + id);
    if (stale(load)) return;
    const j = d.job;
    const dl = h('dl', { class: 'fields', id: 'job-fields', 'data-job': j.id });
    jobFields(dl, j);
    const result = h('span', { id: 'cancel-result' });
    const button = h('button', { class: 'danger', id: 'cancel', type: 'button', text: 'Request cancel',
      title: d.canCancel ? 'sends jobtrack.request_cancel; the job\'s code cancels itself when it takes its signals' : 'refused: ' + d.cancelReason,
      onclick: async () => {
        button.disabled = true;
        result.className = ''; result.textContent = 'sending…';
        try {
          const r = await api(`/api/jobs/${j.id}/cancel`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
          result.className = 'accepted'; result.textContent = `cancel requested (signal ${r.signalId})`;
          setTimeout(() => { if (view && view.kind === 'job' && view.id === j.id) route(); }, 300);
        } catch (e) {
          result.className = 'refused'; result.textContent = e.message;
        } finally { button.disabled = false; }
      } });
    main.replaceChildren(
      h('h1', null, `Job ${j.id} · `, j.job_type),
      dl,
      ['succeeded', 'failed', 'cancelled'].includes(j.status) ? h('p', { class: 'muted', text: `The job has ${j.status}: nothing to cancel.` }) : h('p', null, button, ' ', result),
      h('h2', { text: `Messages (${d.messages.length})` }),
      h('ol', { class: 'timeline', id: 'messages' }, d.messages.map((m) => h('li', null, h('time', { text: fmtTime(m.created_at) }), h('span', { class: 'lvl ' + m.level, text: m.level }), m.message))),
      h('h2', { text: `Signals (${d.signals.length})` }),
      h('table', { id: 'signals' }, h('thead', null, h('tr', null, ['id', 'signal', 'parameters', 'cancel', 'sent', 'handled'].map((t) => h('th', { text: t })))),
        h('tbody', null, d.signals.map((s) => h('tr', null, h('td', { text: s.id }), h('td', { text: s.signal }), h('td', { text: JSON.stringify(s.parameters) }),
          h('td', { text: s.cancel_job ? 'yes' : '' }), h('td', { text: fmtTime(s.created_at) }), h('td', { text: fmtTime(s.handled_at) }))))),
      h('h2', { text: 'Timeline' }), timeline(d));
    view = { kind: 'job', id: j.id, dl, data: d };
    watchJobs([j.id]);
  }

  // ------------------------------------------------------------ live updates

  let queue = [], frame = 0;

  function onMessage(ev) {
    let m;
    try { m = JSON.parse(ev.data); } catch (e) { return; }
    if (m.hello) {
      streamId = m.hello;
      setLive(true);
      if (connectedOnce) route(); // reconnected: read the page again, events may have been missed
      connectedOnce = true;
      watchJobs(currentJobs);
      return;
    }
    if (m.resync) { route(); return; }
    queue.push(m);
    if (!frame) frame = requestAnimationFrame(applyQueued);
    // a hidden tab gets no animation frames: apply at a low rate instead
    if (document.hidden && !applyQueued.timer) applyQueued.timer = setTimeout(applyQueued, 1000);
  }

  // everything that arrived since the last frame is merged and applied at once
  function applyQueued() {
    frame = 0; clearTimeout(applyQueued.timer); applyQueued.timer = 0;
    const t0 = performance.now();
    try { applyBatch(); } finally {
      stats.frames++;
      stats.maxApplyMs = Math.max(stats.maxApplyMs, performance.now() - t0);
    }
  }

  function applyBatch() {
    const batch = queue; queue = [];
    const groups = new Map(), jobs = new Map();
    let events = [];
    for (const m of batch) {
      stats.batches++;
      if (m.groups) for (const g of m.groups) groups.set(g.id, g);
      if (m.jobs) for (const j of m.jobs) jobs.set(j.id, j);
      if (m.events) { stats.events += m.events.length; events = events.concat(m.events); }
    }
    if (!view) return;
    if (view.kind === 'groups') applyGroupsList(groups);
    if (view.kind === 'group') {
      const g = groups.get(view.id);
      if (g) {
        const head = document.getElementById('group-head');
        if (head) fillGroupHead(head, g);
      }
      const mine = events.filter((e) => e.group_id === view.id);
      for (const e of mine) if (!view.events.querySelector(`[data-event="${e.id}"]`)) view.events.prepend(eventItem(e));
    }
    for (const [id, j] of jobs) {
      for (const tr of document.querySelectorAll(`tr[data-job="${id}"]`)) fillJobRow(tr, j);
      if (view.kind === 'job' && view.id === id) jobFields(view.dl, Object.assign(view.data.job, j));
    }
  }

  function applyGroupsList(groups) {
    const tbody = view.tbody;
    const fresh = [];
    for (const [id, g] of groups) {
      const tr = tbody.querySelector(`tr[data-group="${id}"]`);
      // restart the highlight without forcing a layout: alternate two equal animations
      if (tr) { fillGroupRow(tr, g); tr.className = tr.className === 'flash' ? 'flash2' : 'flash'; }
      else if (view.firstPage && g.status !== 'completed' && (view.status === 'open' || view.status === 'all' || view.status === g.status)) fresh.push(g);
    }
    if (fresh.length) {
      const top = tbody.firstElementChild ? BigInt(tbody.firstElementChild.dataset.group) : 0n;
      const add = fresh.filter((g) => BigInt(g.id) > top).sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1)).slice(0, 100);
      if (add.length) {
        const frag = document.createDocumentFragment();
        for (const g of add) frag.append(groupRowEl(g));
        tbody.prepend(frag);
        while (tbody.children.length > 100) tbody.lastElementChild.remove();
      }
    }
  }

  let currentJobs = [];
  function watchJobs(ids) {
    currentJobs = ids.slice(0, 200);
    sendWatch();
  }

  // One watch request at a time, and the last list wins: two in flight (the
  // stream's hello and a page that just loaded) can reach the server in
  // either order, and an older list applied last would stop the refresh of
  // the rows on screen.
  let watchSending = false, watchAgain = false;
  function sendWatch() {
    if (!streamId) return;
    if (watchSending) { watchAgain = true; return; }
    watchSending = true;
    fetch('/api/watch', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ client: streamId, jobs: currentJobs }) })
      .catch(() => {})
      .finally(() => {
        watchSending = false;
        if (watchAgain) { watchAgain = false; sendWatch(); }
      });
  }

  function setLive(on) {
    const el = document.getElementById('live');
    el.className = on ? 'live' : 'live off';
    el.textContent = on ? 'live' : 'reconnecting…';
  }

  function connect() {
    es = new EventSource('/api/stream');
    es.onmessage = onMessage;
    es.onerror = () => { setLive(false); streamId = null; };
  }

  // ------------------------------------------------------------ routing

  // Each page load has a number; a load that a later one overtook (the user
  // moved on while it waited for its data) finishes without rendering or
  // changing the rows watched: the page and its refresh stay the latest's.
  let routing = 0;
  function stale(load) { return load !== routing; }
  async function route() {
    const n = ++routing;
    const hash = location.hash.replace(/^#/, '') || '/';
    const [p, query] = hash.split('?');
    const params = new URLSearchParams(query || '');
    let m;
    try {
      if (p === '/' || p === '/groups') await groupsPage(params, n);
      else if ((m = p.match(/^\/groups\/(\d+)$/))) await groupPage(m[1], n);
      else if (p === '/jobs') await jobsPage(params, n);
      else if ((m = p.match(/^\/jobs\/(\d+)$/))) await jobPage(m[1], n);
      else { main.replaceChildren(h('p', { text: 'Not found.' })); view = null; watchJobs([]); }
      if (n === routing) { delete document.body.dataset.error; document.body.dataset.ready = hash; }
    } catch (e) {
      if (n !== routing) return;
      view = null;
      watchJobs([]); // the rows of the page before are not shown any more: stop their refresh
      showError(e);
      // the tests wait for ready: a page that failed is ready too, with its error
      document.body.dataset.error = e.message;
      document.body.dataset.ready = hash;
    }
  }

  function boot() {
    // the page's data, the role and the event stream are asked for at once
    api('/api/info').then((i) => {
      info = i;
      document.getElementById('role').textContent = `role ${info.role}` + (info.canCancel ? ' · may cancel' : ' · read-only');
    }, () => { /* shown by the page */ });
    window.addEventListener('hashchange', route);
    route();
    connect();
  }
  boot();
}());
