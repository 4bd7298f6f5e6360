// The ykc console: four pages (fleet, pile, commands, decoder) over the gateway's REST API.
//
// Plain modern JavaScript, no build step, no dependency. Nothing here knows a frame type: forms
// and field tables are generated from the spec metadata (GET /meta/frames). Every text that comes
// from a pile or the API is set with textContent, never parsed as HTML.
'use strict';

// ---------------------------------------------------------------------------------------------
// Words of the page in both languages (zh by default).

const WORDS = {
  zh: {
    skip: '跳到正文', console: '控制台', pages: '页面', fleet: '在线桩', pile: '桩', commands: '命令',
    decoder: '解码', token: '令牌', token_title: '访问令牌',
    token_help: '网关要求令牌（Authorization: Bearer）。令牌只保存在本标签页中。',
    ok: '确定', clear: '清除', cancel: '取消', filter: '筛选（桩编码、地址或节点）',
    online: '在线', shown: '显示', live: '实时', reconnecting: '重新连接中…',
    pile_code: '桩编码', node: '节点', address: '地址', online_since: '上线时间',
    last_frame: '最后一帧', crc_order: 'CRC 字节序', sequence_style: '序号方式', guns: '枪状态',
    ago: '前', no_piles: '没有在线的桩。', gun: '枪', open_pile: '打开', send_command: '发送命令',
    pile_prompt: '输入桩编码（14 位数字）', go: '打开', live_frames: '实时报文', history: '历史（日志）',
    load_history: '加载历史', older: '更早', pause: '暂停', resume: '继续', waiting: '等待报文…',
    offline: '该桩当前不在线。', journal_off: '网关未开启日志（journal: off），没有历史。',
    up: '桩→平台', down: '平台→桩', event: '事件', frame: '帧类型', reply: '应答',
    command: '命令', commands_with_reply: '有应答的命令', answers: '无应答的帧',
    send: '发送', sending: '发送中…', timeout_ms: '等待应答（毫秒，可选）',
    pile_from_path: '桩编码取自上方', reserved_zero: '保留字段发送 0',
    sent_no_reply: '已发送；该帧没有应答。', reply_from_pile: '桩的应答', error: '错误', field: '字段',
    add_item: '添加一项', remove_item: '删除', item: '项', set_all: '全部设为', count_auto: '自动计数',
    hex_input: '十六进制报文（可多帧、多行）', parse: '解析', parse_hint: 'Ctrl+Enter 解析',
    header: '帧头', crc: 'CRC', received: '收到', low_first: '低字节在前', high_first: '高字节在前',
    matches: '匹配', no_match: '不匹配', fields: '字段', value: '值', unit: '单位', name: '名称',
    body_hex: '消息体', errors: '错误', warnings: '警告', partial: '出错前已解析的字段',
    start_flag: '起始标志', data_length: '数据长度', sequence: '序列号', encrypt: '加密标志',
    direction: '方向', section: '协议章节', body_length: '消息体长度', ok_parse: '解析成功',
    failed_parse: '解析失败', unknown: '未知', truncated: '帧太多，只显示前面一部分。',
    request_failed: '请求失败', seconds: '秒', ms: '毫秒', time: '时间', connection: '连接',
    no_reply_within: '超时', sent_command: '发出的命令', china_time: '北京时间',
    seq_le: '小端计数', seq_be: '大端计数', seq_constant: '固定不变', seq_unknown: '未知',
  },
  en: {
    skip: 'Skip to content', console: 'console', pages: 'Pages', fleet: 'Fleet', pile: 'Pile',
    commands: 'Commands', decoder: 'Decoder', token: 'Token', token_title: 'Access token',
    token_help: 'The gateway requires a token (Authorization: Bearer). It is kept in this tab only.',
    ok: 'OK', clear: 'Clear', cancel: 'Cancel', filter: 'Filter (pile code, address or node)',
    online: 'online', shown: 'shown', live: 'live', reconnecting: 'reconnecting…',
    pile_code: 'Pile code', node: 'Node', address: 'Address', online_since: 'Online since',
    last_frame: 'Last frame', crc_order: 'CRC order', sequence_style: 'Sequence', guns: 'Guns',
    ago: 'ago', no_piles: 'No pile is online.', gun: 'Gun', open_pile: 'Open', send_command: 'Send a command',
    pile_prompt: 'Pile code (14 digits)', go: 'Open', live_frames: 'Live frames', history: 'History (journal)',
    load_history: 'Load history', older: 'Older', pause: 'Pause', resume: 'Resume', waiting: 'Waiting for frames…',
    offline: 'This pile is not online.', journal_off: 'The journal is off (journal: off): no history.',
    up: 'pile→platform', down: 'platform→pile', event: 'event', frame: 'Frame type', reply: 'Reply',
    command: 'Command', commands_with_reply: 'Commands with a reply', answers: 'Frames without a reply',
    send: 'Send', sending: 'Sending…', timeout_ms: 'Wait for the reply (ms, optional)',
    pile_from_path: 'pile code from above', reserved_zero: 'reserved fields are sent as 0',
    sent_no_reply: 'Sent; this frame has no reply.', reply_from_pile: "The pile's reply", error: 'Error', field: 'Field',
    add_item: 'Add an item', remove_item: 'Remove', item: 'item', set_all: 'Set all to', count_auto: 'counted',
    hex_input: 'Hex frames (several frames and lines allowed)', parse: 'Parse', parse_hint: 'Ctrl+Enter parses',
    header: 'Header', crc: 'CRC', received: 'received', low_first: 'low byte first', high_first: 'high byte first',
    matches: 'matches', no_match: 'no match', fields: 'Fields', value: 'Value', unit: 'Unit', name: 'Name',
    body_hex: 'Body', errors: 'Errors', warnings: 'Warnings', partial: 'Fields decoded before the error',
    start_flag: 'Start flag', data_length: 'Data length', sequence: 'Sequence', encrypt: 'Encrypt flag',
    direction: 'Direction', section: 'Spec section', body_length: 'Body length', ok_parse: 'parsed',
    failed_parse: 'failed', unknown: 'unknown', truncated: 'Too many frames: only the first are shown.',
    request_failed: 'Request failed', seconds: 's', ms: 'ms', time: 'Time', connection: 'Connection',
    no_reply_within: 'timed out', sent_command: 'Command sent', china_time: 'China time',
    seq_le: 'little-endian counter', seq_be: 'big-endian counter', seq_constant: 'constant', seq_unknown: 'unknown',
  },
};

let lang = localStorage.getItem('ykc.lang') === 'en' ? 'en' : 'zh';
const t = (key) => WORDS[lang][key] ?? key;

// ---------------------------------------------------------------------------------------------
// DOM helpers: elements are built, never parsed from strings.

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function table(caption, headers, rows, attrs) {
  return el('div', { class: 'scroll' },
    el('table', attrs || {},
      caption ? el('caption', { text: caption }) : null,
      el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, rows)));
}

function say(text) {
  const s = document.getElementById('status');
  s.textContent = text;
}

// ---------------------------------------------------------------------------------------------
// The API: every request carries the token once one is given; a 401 asks for it (once).

const TOKEN_KEY = 'ykc.token';
let asking = null;

function askToken() {
  if (asking) return asking;
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  input.value = sessionStorage.getItem(TOKEN_KEY) || '';
  asking = new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      asking = null;
      if (dialog.returnValue === 'ok' && input.value.trim()) {
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        resolve(true);
      } else {
        if (dialog.returnValue === 'clear') sessionStorage.removeItem(TOKEN_KEY);
        resolve(false);
      }
    }, { once: true });
  });
  dialog.showModal();
  input.focus();
  return asking;
}

async function api(path, options = {}) {
  for (;;) {
    const headers = new Headers(options.headers || {});
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.set('Authorization', `Bearer ${token}`);
    const response = await fetch(path, { ...options, headers });
    if (response.status !== 401 || !(await askToken())) return response;
  }
}

async function apiJson(path, options) {
  const r = await api(path, options);
  const body = await r.json().catch(() => null);
  return { status: r.status, ok: r.ok, body };
}

/// Server-sent events read with fetch (so the token goes in a header, never in a URL):
/// calls onEvent(name, data) per event and reconnects after a failure until `signal` aborts.
async function stream(path, onEvent, onState, signal) {
  while (!signal.aborted) {
    try {
      const r = await api(path, { signal, headers: { Accept: 'text/event-stream' } });
      if (!r.ok || !r.body) throw new Error(`HTTP ${r.status}`);
      onState(true);
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let name = 'message';
          const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) name = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length) onEvent(name, data.join('\n'));
        }
      }
    } catch (e) {
      if (signal.aborted) return;
    }
    onState(false);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

// ---------------------------------------------------------------------------------------------
// The spec metadata, and field tables generated from it.

let frames = null; // code → FrameMeta

async function metadata() {
  if (!frames) {
    const r = await apiJson('/meta/frames');
    if (!r.ok) throw new Error(`${t('request_failed')}: /meta/frames ${r.status}`);
    frames = new Map(r.body.map((m) => [m.code, m]));
  }
  return frames;
}

const hex2 = (n) => `0x${Number(n).toString(16).toUpperCase().padStart(2, '0')}`;
const frameCode = (text) => parseInt(String(text).replace(/^0x/i, ''), 16);

function frameTitle(meta, code) {
  if (!meta) return `${hex2(code)} ${t('unknown')}`;
  return lang === 'zh' ? `${hex2(meta.code)} ${meta.name_zh} · ${meta.name}` : `${hex2(meta.code)} ${meta.name} · ${meta.name_zh}`;
}

function fieldName(f) {
  return el('span', { class: 'fname' },
    el('span', { text: lang === 'zh' ? (f.name_zh || f.name) : f.name }),
    el('small', { text: lang === 'zh' ? f.name : f.name_zh }));
}

function enumText(v) {
  if (v === null || typeof v !== 'object') return String(v);
  const label = lang === 'zh' ? (v.meaning ?? v.name) : (v.name ?? v.meaning);
  return `${label} (${hex2(v.code)})`;
}

function valueText(f, v) {
  if (v === undefined) return '';
  if (v === null) return '—';
  if (f.values.length && typeof v === 'object') return enumText(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return f.unit ? `${v} ${f.unit}` : String(v);
}

/// One row per field, in the spec's order; groups and bit fields get nested rows.
function fieldRows(fields, body, depth = 0) {
  const rows = [];
  for (const f of fields) {
    if (f.kind === 'layout') continue;
    const v = body ? body[f.name] : undefined;
    if (f.kind === 'trailing' && v === undefined) continue;
    const indent = { style: undefined, class: depth ? `depth${Math.min(depth, 3)}` : undefined };
    if (f.kind === 'group' && Array.isArray(v)) {
      rows.push(el('tr', indent, el('th', { scope: 'row' }, fieldName(f)), el('td', { text: `${v.length} × ${t('item')}` }), el('td')));
      v.forEach((item, i) => {
        rows.push(el('tr', { class: `depth${Math.min(depth + 1, 3)} item` }, el('th', { scope: 'row', colspan: 3, text: `${f.name}[${i}]` })));
        rows.push(...fieldRows(f.items, item, depth + 1));
      });
      continue;
    }
    if (f.kind === 'bits' && v && typeof v === 'object') {
      rows.push(el('tr', indent, el('th', { scope: 'row' }, fieldName(f)), el('td', { text: `raw ${v.raw}` }), el('td')));
      for (const b of f.bits) {
        const bv = v[b.name];
        rows.push(el('tr', { class: `depth${Math.min(depth + 1, 3)}` },
          el('th', { scope: 'row' }, fieldName(b)),
          el('td', { text: b.values.length ? enumText(bv) : String(bv ?? '') }), el('td')));
      }
      continue;
    }
    const text = Array.isArray(v) ? v.map((x) => valueText({ ...f, unit: '' }, x)).join(', ') : valueText({ ...f, unit: '' }, v);
    rows.push(el('tr', indent,
      el('th', { scope: 'row' }, fieldName(f)),
      el('td', { class: 'value', 'data-field': f.name, text }),
      el('td', { text: f.unit })));
  }
  return rows;
}

function fieldTable(meta, body, caption) {
  if (!meta || !body || typeof body !== 'object') {
    return el('pre', { class: 'json', text: JSON.stringify(body, null, 2) });
  }
  return table(caption, [t('name'), t('value'), t('unit')], fieldRows(meta.fields, body), { class: 'fields' });
}

// ---------------------------------------------------------------------------------------------
// Pages. Each renders into <main> and returns nothing; `page.signal` aborts its streams when
// the route changes.

const main = () => document.getElementById('main');
let page = { abort: new AbortController() };

function heading(text) {
  return el('h2', { id: 'page-title', tabindex: '-1', text });
}

function liveBadge() {
  const badge = el('span', { class: 'badge', 'data-live': 'off', text: t('reconnecting') });
  const set = (on) => {
    badge.dataset.live = on ? 'on' : 'off';
    badge.textContent = on ? `● ${t('live')}` : t('reconnecting');
  };
  return [badge, set];
}

function ago(ms) {
  if (ms < 1000) return `${ms} ${t('ms')} ${t('ago')}`;
  return `${(ms / 1000).toFixed(1)} ${t('seconds')} ${t('ago')}`;
}

function gunChips(guns) {
  return el('ul', { class: 'guns' }, (guns || []).map((g) =>
    el('li', {}, el('span', { class: 'gun', text: `${t('gun')} ${g.gun_no}` }),
      g.states.map((s) => el('span', {
        class: 'state', 'data-state': s.value && s.value.name,
        title: `${frameTitle(frames && frames.get(frameCode(s.frame_type)), frameCode(s.frame_type))} · ${lang === 'zh' ? s.field_zh : s.field} · ${s.time}`,
        text: enumText(s.value),
      })))));
}

/// The fleet: online piles, filtered, updated every second from /console/fleet/stream.
function fleetPage() {
  const [badge, setLive] = liveBadge();
  const filter = el('input', { id: 'fleet-filter', type: 'search', autocomplete: 'off', value: sessionStorage.getItem('ykc.filter') || '' });
  const counts = el('p', { class: 'counts', 'aria-live': 'polite' });
  const body = el('tbody', { id: 'fleet-rows' });
  const cols = ['pile_code', 'node', 'address', 'online_since', 'last_frame', 'crc_order', 'sequence_style', 'guns'];
  main().replaceChildren(
    el('div', { class: 'title-row' }, heading(t('fleet')), badge),
    el('div', { class: 'field' }, el('label', { for: 'fleet-filter', text: t('filter') }), filter),
    counts,
    el('div', { class: 'scroll' }, el('table', { id: 'fleet-table', class: 'cards' },
      el('thead', {}, el('tr', {}, cols.map((c) => el('th', { scope: 'col', text: t(c) })))), body)));
  const render = (fleet) => {
    counts.textContent = `${t('online')} ${fleet.online} · ${t('shown')} ${fleet.piles.length}`;
    if (!fleet.piles.length) {
      body.replaceChildren(el('tr', {}, el('td', { colspan: cols.length, text: t('no_piles') })));
      return;
    }
    body.replaceChildren(...fleet.piles.map((p) => el('tr', { 'data-pile': p.pile_code },
      el('td', { 'data-label': t('pile_code') }, el('a', { href: `#/pile/${p.pile_code}`, class: 'code', text: p.pile_code })),
      el('td', { 'data-label': t('node'), text: p.node }),
      el('td', { 'data-label': t('address'), text: p.remote_addr }),
      el('td', { 'data-label': t('online_since'), text: p.online_since }),
      el('td', { 'data-label': t('last_frame'), text: ago(p.last_frame_ms_ago) }),
      el('td', { 'data-label': t('crc_order'), text: p.crc_order ? t(p.crc_order) : '—' }),
      el('td', { 'data-label': t('sequence_style'), text: t(`seq_${p.sequence_style}`) }),
      el('td', { 'data-label': t('guns') }, gunChips(p.guns)))));
  };
  let run = null;
  const start = () => {
    if (run) run.abort();
    run = new AbortController();
    page.abort.signal.addEventListener('abort', () => run.abort(), { once: true });
    const q = encodeURIComponent(filter.value.trim());
    stream(`/console/fleet/stream?q=${q}`, (name, data) => {
      if (name === 'fleet') render(JSON.parse(data));
    }, setLive, run.signal);
  };
  let debounce = 0;
  filter.addEventListener('input', () => {
    sessionStorage.setItem('ykc.filter', filter.value);
    clearTimeout(debounce);
    debounce = setTimeout(start, 250);
  });
  metadata().catch(() => null).finally(start);
}

/// A row of the live list or the history: one frame (or pile event), folded.
function frameItem(row) {
  const info = row.live || row.journal || {};
  if (row.event) {
    return el('li', { class: 'event' }, el('span', { class: 'time', text: info.time }), ` ${t('event')}: ${row.event} ${row.remote_addr || ''}`);
  }
  const code = frameCode(row.frame_type);
  const meta = frames && frames.get(code);
  const bad = row.code !== 200 || row.crc16_valid === false || (row.warnings || []).length;
  const summary = el('summary', {},
    el('span', { class: 'time', text: info.time }),
    el('span', { class: `dir ${info.direction}`, title: t(info.direction), text: info.direction === 'up' ? '↑' : '↓' }),
    el('span', { class: 'sr-only', text: t(info.direction) }),
    el('span', { class: 'code', text: frameTitle(meta, code) }),
    el('span', { class: 'seq', text: `#${row.sequence_hex ?? ''}` }),
    bad ? el('span', { class: 'flag', text: '!' }) : null);
  return el('li', {}, el('details', {}, summary, messages(row), fieldTable(meta, row.body_data || row.partial_data),
    el('p', { class: 'hex' }, el('code', { text: row.body_hex || '' }))));
}

function messages(row) {
  const list = [];
  for (const e of row.errors || []) list.push(el('li', { class: 'error', text: e }));
  for (const w of row.warnings || []) list.push(el('li', { class: 'warning', text: w }));
  return list.length ? el('ul', { class: 'messages', role: 'alert' }, list) : null;
}

/// One pile: what the fleet knows, its frames as they pass, and its journaled history.
async function pilePage(code) {
  if (!code) {
    const input = el('input', { id: 'pile-code', inputmode: 'numeric', pattern: '[0-9]{1,14}', maxlength: 14, required: true });
    main().replaceChildren(heading(t('pile')),
      el('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); location.hash = `#/pile/${input.value.trim()}`; } },
        el('label', { for: 'pile-code', text: t('pile_prompt') }), input, el('button', { class: 'primary', text: t('go') })));
    return;
  }
  await metadata();
  const [badge, setLive] = liveBadge();
  const summary = el('div', { id: 'pile-summary' });
  const live = el('ol', { id: 'pile-live', class: 'frames', 'aria-live': 'off' }, el('li', { class: 'muted', text: t('waiting') }));
  const history = el('ol', { id: 'pile-history', class: 'frames' });
  let paused = false;
  const pause = el('button', { type: 'button', 'aria-pressed': 'false', text: t('pause') });
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? t('resume') : t('pause');
  });
  let before = null;
  const more = el('button', { type: 'button', text: t('load_history') });
  more.addEventListener('click', async () => {
    const q = new URLSearchParams({ limit: '50', lang });
    if (before) q.set('before_id', before);
    const r = await apiJson(`/piles/${code}/frames?${q}`);
    if (r.status === 404) { history.replaceChildren(el('li', { class: 'muted', text: r.body?.error || t('journal_off') })); return; }
    if (!r.ok) { say(`${t('request_failed')}: ${r.body?.error || r.status}`); return; }
    history.append(...r.body.map(frameItem));
    const last = r.body[r.body.length - 1];
    before = last ? last.journal.id : before;
    more.textContent = t('older');
    if (r.body.length < 50) more.disabled = true;
  });
  main().replaceChildren(
    el('div', { class: 'title-row' }, heading(`${t('pile')} ${code}`), badge,
      el('a', { href: `#/commands/${code}`, class: 'button', text: t('send_command') })),
    summary,
    el('section', { 'aria-labelledby': 'live-title' },
      el('div', { class: 'title-row' }, el('h3', { id: 'live-title', text: t('live_frames') }), pause), live),
    el('section', { 'aria-labelledby': 'history-title' },
      el('div', { class: 'title-row' }, el('h3', { id: 'history-title', text: t('history') }), more), history));
  const f = await apiJson(`/console/fleet?q=${encodeURIComponent(code)}`);
  const p = f.ok && f.body.piles.find((x) => x.pile_code === code);
  summary.replaceChildren(p ? el('dl', { class: 'facts' },
    [['node', p.node], ['address', p.remote_addr], ['online_since', p.online_since], ['crc_order', p.crc_order ? t(p.crc_order) : '—'],
      ['sequence_style', t(`seq_${p.sequence_style}`)]].map(([k, v]) => [el('dt', { text: t(k) }), el('dd', { text: v })]),
    el('dt', { text: t('guns') }), el('dd', {}, gunChips(p.guns))) : el('p', { class: 'muted', text: t('offline') }));
  stream(`/console/piles/${code}/stream?lang=${lang}`, (name, data) => {
    if (name !== 'frame' || paused) return;
    live.querySelector('.muted')?.remove();
    live.prepend(frameItem(JSON.parse(data)));
    while (live.children.length > 100) live.lastChild.remove();
  }, setLive, page.abort.signal);
}

// ---------------------------------------------------------------------------------------------
// Commands: a form per platform→pile frame, generated from its fields.

/// A field's repetition: `{fixed: n}`, `{count_field: name}`, or {} for "once" and "rest".
const repeat = (f) => (f.repeat && typeof f.repeat === 'object' ? f.repeat : {});
const skipped = (f, meta) => f.name.startsWith('reserved') || (f.name === 'pile_code' && meta.fields[0] === f);

/// The input for one value of field `f`; `path` names it for the API's error (`cards[0].card_no`).
function input(f, path, id) {
  const common = { id, name: path, 'data-path': path, 'aria-describedby': `${id}-hint` };
  if (f.values.length) {
    return el('select', common, f.values.map((v) => el('option', { value: v.code, text: `${hex2(v.code)} ${lang === 'zh' ? v.zh : v.name}` })));
  }
  switch (f.kind) {
    case 'uint': {
      const step = f.decimals ? String(10 ** -f.decimals) : '1';
      return el('input', { ...common, type: 'number', step, value: '0', inputmode: f.decimals ? 'decimal' : 'numeric' });
    }
    case 'bcd':
      return el('input', { ...common, type: 'text', inputmode: 'numeric', pattern: '[0-9]*', maxlength: f.len * 2, value: '0'.repeat(f.len * 2), spellcheck: 'false' });
    case 'cp56_time': {
      const china = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 19);
      return el('input', { ...common, type: 'datetime-local', step: '1', value: china });
    }
    case 'bytes':
      return el('input', { ...common, type: 'text', maxlength: f.len * 2, value: '0'.repeat(f.len * 2), spellcheck: 'false', autocomplete: 'off' });
    default: // ascii and anything else: text
      return el('input', { ...common, type: 'text', maxlength: f.len, value: '', spellcheck: 'false', autocomplete: 'off' });
  }
}

function hint(f) {
  const parts = [f.kind + (f.len ? ` ${f.len}B` : '')];
  if (f.unit) parts.push(f.unit);
  if (f.decimals) parts.push(`×10^-${f.decimals}`);
  if (f.offset) parts.push(`${f.offset > 0 ? '+' : ''}${f.offset}`);
  if (f.kind === 'cp56_time') parts.push(t('china_time'));
  return parts.join(' · ');
}

/// The controls of a list of fields; `prefix` is the JSON path of their object.
function controls(meta, fields, prefix) {
  const out = [];
  const counted = new Set(fields.map((f) => repeat(f).count_field).filter(Boolean));
  for (const f of fields) {
    if (f.kind === 'layout' || f.kind === 'trailing' || skipped(f, meta)) continue;
    const path = prefix ? `${prefix}.${f.name}` : f.name;
    const id = `f-${path.replace(/[^a-zA-Z0-9_-]/g, '-')}`;
    if (counted.has(f.name)) {
      out.push(el('div', { class: 'field' }, el('label', { for: id }, fieldName(f)),
        el('input', { id, 'data-path': path, 'data-count': 'true', readonly: true, value: '0', 'aria-describedby': `${id}-hint` }),
        el('small', { id: `${id}-hint`, text: t('count_auto') })));
      continue;
    }
    if (f.kind === 'group') {
      out.push(groupEditor(meta, f, path, id));
      continue;
    }
    const n = repeat(f).fixed;
    if (n) {
      out.push(repeatEditor(f, path, id, n));
      continue;
    }
    out.push(el('div', { class: 'field' }, el('label', { for: id }, fieldName(f)), input(f, path, id),
      el('small', { id: `${id}-hint`, text: hint(f) })));
  }
  return out;
}

function repeatEditor(f, path, id, n) {
  const inputs = [];
  const grid = el('div', { class: 'grid' });
  for (let i = 0; i < n; i += 1) {
    const one = input(f, `${path}[${i}]`, `${id}-${i}`);
    one.dataset.index = String(i);
    inputs.push(one);
    grid.append(el('div', { class: 'cell' }, el('label', { for: `${id}-${i}`, text: `${i + 1}` }), one));
  }
  let all = null;
  if (f.values.length) {
    all = input(f, `${path}*`, `${id}-all`);
    all.removeAttribute('data-path');
    all.addEventListener('change', () => inputs.forEach((x) => { x.value = all.value; }));
  }
  return el('fieldset', { class: 'repeat', 'data-path': path, 'data-repeat': String(n) },
    el('legend', {}, fieldName(f), el('small', { id: `${id}-hint`, text: ` ×${n} · ${hint(f)}` })),
    all ? el('div', { class: 'field inline' }, el('label', { for: `${id}-all`, text: t('set_all') }), all) : null,
    grid);
}

function groupEditor(meta, f, path, id) {
  const items = el('ol', { class: 'items' });
  const add = el('button', { type: 'button', text: t('add_item') });
  const box = el('fieldset', { class: 'group', 'data-path': path, 'data-group': repeat(f).count_field || '' },
    el('legend', {}, fieldName(f)), items, add);
  add.addEventListener('click', () => {
    const i = items.children.length;
    const remove = el('button', { type: 'button', class: 'remove', text: t('remove_item') });
    const item = el('li', {}, controls(meta, f.items, `${path}[${i}]`), remove);
    remove.addEventListener('click', () => { item.remove(); add.focus(); });
    items.append(item);
    item.querySelector('input, select')?.focus();
  });
  return box;
}

/// The JSON value of one input, by its field's kind.
function readInput(node, f) {
  const v = node.value.trim();
  if (f.values.length) return Number(v);
  if (f.kind === 'uint') return v === '' ? undefined : Number(v);
  if (f.kind === 'cp56_time') return v.length === 16 ? `${v}:00` : v;
  return v;
}

/// The command's JSON body, read from the form in the spec's field order.
function readFields(meta, fields, scope, prefix) {
  const out = {};
  const counts = {};
  for (const f of fields) {
    if (f.kind === 'layout' || f.kind === 'trailing' || skipped(f, meta)) continue;
    const path = prefix ? `${prefix}.${f.name}` : f.name;
    if (f.kind === 'group') {
      const box = scope.querySelector(`fieldset[data-path="${CSS.escape(path)}"]`);
      const items = [...box.querySelector('.items').children].map((li, i) => {
        // Items were numbered when added; renumber the paths after removals.
        const old = li.querySelector('[data-path]').dataset.path.match(/\[(\d+)\]/)[1];
        return readFields(meta, f.items, li, `${path}[${old}]`);
      });
      out[f.name] = items;
      if (repeat(f).count_field) counts[repeat(f).count_field] = items.length;
      continue;
    }
    if (repeat(f).fixed) {
      const box = scope.querySelector(`fieldset[data-path="${CSS.escape(path)}"]`);
      out[f.name] = [...box.querySelectorAll('[data-index]')].map((x) => readInput(x, f));
      continue;
    }
    const node = scope.querySelector(`[data-path="${CSS.escape(path)}"]`);
    if (node && !node.dataset.count) {
      const v = readInput(node, f);
      if (v !== undefined) out[f.name] = v;
    }
  }
  for (const [name, n] of Object.entries(counts)) {
    out[name] = n;
    const c = scope.querySelector(`[data-path="${CSS.escape(prefix ? `${prefix}.${name}` : name)}"]`);
    if (c) c.value = String(n);
  }
  return out;
}

async function commandsPage(pileArg) {
  const all = await metadata();
  const down = [...all.values()].filter((m) => m.direction === 'down');
  const fleet = await apiJson('/console/fleet?limit=500');
  const piles = fleet.ok ? fleet.body.piles.map((p) => p.pile_code) : [];
  const pile = el('input', { id: 'cmd-pile', list: 'cmd-piles', inputmode: 'numeric', maxlength: 14, required: true, value: pileArg || piles[0] || '', autocomplete: 'off' });
  const choose = el('select', { id: 'cmd-frame' },
    el('optgroup', { label: t('commands_with_reply') }, down.filter((m) => m.reply !== null).map((m) => el('option', { value: hex2(m.code), text: frameTitle(m, m.code) }))),
    el('optgroup', { label: t('answers') }, down.filter((m) => m.reply === null).map((m) => el('option', { value: hex2(m.code), text: frameTitle(m, m.code) }))));
  const remembered = sessionStorage.getItem('ykc.frame');
  if (remembered && down.some((m) => hex2(m.code) === remembered)) choose.value = remembered;
  const fields = el('div', { id: 'cmd-fields' });
  const timeout = el('input', { id: 'cmd-timeout', type: 'number', min: 1, step: 1, inputmode: 'numeric' });
  const send = el('button', { class: 'primary', id: 'cmd-send', text: t('send') });
  const result = el('div', { id: 'cmd-result', 'aria-live': 'polite' });
  const form = el('form', { id: 'cmd-form', novalidate: true },
    el('div', { class: 'field' }, el('label', { for: 'cmd-pile', text: t('pile_code') }), pile,
      el('datalist', { id: 'cmd-piles' }, piles.map((p) => el('option', { value: p })))),
    el('div', { class: 'field' }, el('label', { for: 'cmd-frame', text: t('frame') }), choose),
    fields,
    el('div', { class: 'field' }, el('label', { for: 'cmd-timeout', text: t('timeout_ms') }), timeout),
    el('p', { class: 'muted', text: `${t('pile_from_path')}; ${t('reserved_zero')}.` }),
    send);
  const selected = () => all.get(frameCode(choose.value));
  const build = () => {
    sessionStorage.setItem('ykc.frame', choose.value);
    fields.replaceChildren(...controls(selected(), selected().fields, ''));
    result.replaceChildren();
  };
  choose.addEventListener('change', build);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const meta = selected();
    form.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
    const body = readFields(meta, meta.fields, fields, '');
    const q = timeout.value ? `?timeout_ms=${encodeURIComponent(timeout.value)}` : '';
    send.disabled = true;
    send.textContent = t('sending');
    try {
      const r = await apiJson(`/piles/${encodeURIComponent(pile.value.trim())}/commands/${choose.value}${q}`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      });
      showResult(result, r, form);
    } catch (err) {
      result.replaceChildren(el('p', { class: 'error', role: 'alert', text: `${t('request_failed')}: ${err.message}` }));
    } finally {
      send.disabled = false;
      send.textContent = t('send');
    }
  });
  main().replaceChildren(heading(t('commands')), form, result);
  build();
}

function showResult(result, r, form) {
  if (!r.ok) {
    const field = r.body && r.body.field;
    const text = r.body ? r.body.error : `HTTP ${r.status}`;
    result.replaceChildren(el('div', { class: 'error', role: 'alert', id: 'cmd-error' },
      el('strong', { text: `${t('error')} ${r.status}` }), field ? ` · ${t('field')} ${field}` : '', `: ${text}`));
    const target = field && (form.querySelector(`[data-path="${CSS.escape(field)}"]`)
      || (field === 'pile' ? form.querySelector('#cmd-pile') : null) || (field === 'frame' ? form.querySelector('#cmd-frame') : null));
    if (target) {
      target.setAttribute('aria-invalid', 'true');
      target.focus();
    }
    return;
  }
  const { command, reply } = r.body;
  const sent = el('details', {}, el('summary', { text: `${t('sent_command')}: ${frameTitle(frames.get(frameCode(command.frame_type)), frameCode(command.frame_type))}` }),
    fieldTable(frames.get(frameCode(command.frame_type)), command.body_data));
  if (!reply) {
    result.replaceChildren(el('p', { class: 'ok', text: t('sent_no_reply') }), sent);
    return;
  }
  const code = frameCode(reply.frame_type);
  result.replaceChildren(
    el('h3', { id: 'cmd-reply-title', text: `${t('reply_from_pile')}: ${frameTitle(frames.get(code), code)}` }),
    el('div', { id: 'cmd-reply', 'data-frame': reply.frame_type }, fieldTable(frames.get(code), reply.body_data)),
    sent);
}

// ---------------------------------------------------------------------------------------------
// Decoder: POST /parse, one card per frame.

function decoderPage() {
  const text = el('textarea', { id: 'decoder-input', rows: 5, spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'decoder-hint' });
  text.value = sessionStorage.getItem('ykc.hex') || '';
  const results = el('div', { id: 'decoder-results', 'aria-live': 'polite' });
  const form = el('form', { id: 'decoder-form' },
    el('div', { class: 'field' }, el('label', { for: 'decoder-input', text: t('hex_input') }), text,
      el('small', { id: 'decoder-hint', text: t('parse_hint') })),
    el('button', { class: 'primary', id: 'decoder-parse', text: t('parse') }));
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    sessionStorage.setItem('ykc.hex', text.value);
    await metadata();
    const r = await apiJson(`/parse?lang=${lang}`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: text.value });
    if (!r.ok) { results.replaceChildren(el('p', { class: 'error', role: 'alert', text: `${t('request_failed')}: ${r.status}` })); return; }
    results.replaceChildren(...r.body.frames.map(frameCard), r.body.truncated ? el('p', { class: 'warning', text: t('truncated') }) : null);
  });
  main().replaceChildren(heading(t('decoder')), form, results);
  if (text.value.trim()) form.requestSubmit();
}

function frameCard(env, i) {
  const code = env.frame_type ? frameCode(env.frame_type) : null;
  const meta = code !== null ? frames.get(code) : null;
  const ok = env.code === 200;
  const rows = [
    ['start_flag', env.start_flag], ['data_length', env.data_length], ['sequence', env.sequence_hex && `${env.sequence_hex} (${env.sequence_number})`],
    ['encrypt', env.encrypt_flag], ['frame', env.frame_type && frameTitle(meta, code)], ['direction', env.direction && t(env.direction)],
    ['section', env.spec_section && `§${env.spec_section}`], ['body_length', env.body_length],
  ].filter(([, v]) => v !== undefined && v !== null);
  const crc = env.crc && table(t('crc'), [t('received'), t('low_first'), t('high_first')], [el('tr', {},
    el('td', { class: 'code', text: env.crc.received }),
    ...['low_first', 'high_first'].map((o) => el('td', { class: env.crc.matches === o ? 'ok' : 'bad', 'data-crc': o },
      el('span', { class: 'code', text: env.crc[o] }), ` ${env.crc.matches === o ? `✓ ${t('matches')}` : `✗ ${t('no_match')}`}`)))], { class: 'crc' });
  return el('article', { class: `card ${ok ? '' : 'failed'}`, 'aria-labelledby': `frame-${i}` },
    el('h3', { id: `frame-${i}` }, el('span', { class: `badge ${ok ? 'ok' : 'bad'}`, text: ok ? t('ok_parse') : t('failed_parse') }), ' ',
      env.frame_type ? frameTitle(meta, code) : t('unknown')),
    messages(env),
    crc,
    env.body_data ? fieldTable(meta, env.body_data, t('fields')) : null,
    env.partial_data ? fieldTable(meta, env.partial_data, t('partial')) : null,
    table(t('header'), [t('name'), t('value')], rows.map(([k, v]) => el('tr', {}, el('th', { scope: 'row', text: t(k) }), el('td', { text: String(v) })))),
    el('p', { class: 'hex' }, el('code', { text: env.hex || '' })));
}

// ---------------------------------------------------------------------------------------------
// Routing (#/fleet, #/pile/<code>, #/commands[/<code>], #/decoder) and the language switch.

function translateStatic() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = `ykc ${t('console')}`;
  document.querySelectorAll('[data-t]').forEach((n) => { n.textContent = t(n.dataset.t); });
  document.querySelectorAll('[data-t-aria]').forEach((n) => n.setAttribute('aria-label', t(n.dataset.tAria)));
  const sw = document.getElementById('lang-switch');
  sw.textContent = lang === 'zh' ? 'English' : '中文';
  sw.lang = lang === 'zh' ? 'en' : 'zh-CN';
}

async function route() {
  page.abort.abort();
  page = { abort: new AbortController() };
  const [name = 'fleet', arg] = location.hash.replace(/^#\/?/, '').split('/');
  document.querySelectorAll('nav a').forEach((a) => {
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  try {
    if (name === 'pile') await pilePage(arg);
    else if (name === 'commands') await commandsPage(arg);
    else if (name === 'decoder') decoderPage();
    else fleetPage();
  } catch (e) {
    main().replaceChildren(el('p', { class: 'error', role: 'alert', text: `${t('request_failed')}: ${e.message}` }));
  }
  if (document.activeElement === document.body || document.activeElement?.closest('nav')) {
    document.getElementById('page-title')?.focus({ preventScroll: true });
  }
}

document.getElementById('lang-switch').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('ykc.lang', lang);
  translateStatic();
  route();
});
document.getElementById('token-button').addEventListener('click', () => askToken().then((given) => given && route()));
window.addEventListener('hashchange', route);
translateStatic();
route();
