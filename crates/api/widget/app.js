/* Ferrodesk widget: the app in the iframe, on the API's origin. Plain JS, no build step, kept small.
 * Server text reaches the page only as text: h() appends strings as text nodes, never as HTML. */
"use strict";

const root = document.documentElement;
const slug = root.dataset.slug || "";
const origins = [].concat(json(root.dataset.origins) || []).filter((o) => typeof o === "string");
const API = "/api/v1/widget/" + encodeURIComponent(slug);
const WS_URL = (location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + API + "/ws";
const TOKEN = "ferrodesk.visitor." + slug, CONFIG = "ferrodesk.config." + slug;
const inFrame = parent !== window;
const OFFLINE = "You're offline — we'll reconnect and send your message when we can.";
const MAX_FILES = 5, MAX_FILE = 10 * 1024 * 1024; // per message; per file (the server's default)
// The customer's words for the team's statuses, as in the portal.
const STATUS = { new: ["Open", "open"], open: ["Open", "open"], pending: ["Awaiting your reply", "pending"],
  solved: ["Solved", "solved"], closed: ["Closed", "closed"] };

function json(text) {
  try { return JSON.parse(text); } catch { return null; }
}

// localStorage may be missing or blocked in a third-party iframe (Incognito, strict browsers): memory then.
const mem = new Map();
const store = {
  get: (k) => { if (mem.has(k)) return mem.get(k); try { return localStorage.getItem(k); } catch { return null; } },
  set(k, v) {
    mem.set(k, v);
    try { v == null ? localStorage.removeItem(k) : localStorage.setItem(k, v); } catch { /* memory only */ }
  },
};
const token = () => store.get(TOKEN);

const S = {
  config: json(store.get(CONFIG)), // the last one seen: the header and greeting paint at once
  screen: token() ? "loading" : "start", // start | loading | list | thread
  visitor: null, list: null, thread: null, unavailable: false,
  notice: null, // the conversation just started: "We have your request #..."
  pending: [], // replies on their way: {key, conv, body, state: sending | waiting | failed, error}
  drafts: { name: "", email: "", message: "", reply: {} }, draftKey: newKey(),
  fieldErrors: {}, formError: "", sending: false, queued: false, answers: [], thanks: false,
  fresh: new Set(), // conversations with a team reply not opened yet: a dot on the list
  files: {}, // files chosen for a message, by "new" (a returning visitor's first message) or conversation id
};
const unread = new Map(); // conversation id -> team replies not seen; the sum is the launcher's badge
const on = (screen) => S.screen === screen;

// ---- Helpers ----
const kids = (list) => list.flat(2).filter((k) => k != null && k !== false && k !== "");
const fill = (el, ...list) => el.replaceChildren(...kids(list));
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  el.append(...kids(children));
  return el;
}
const button = (cls, label, onclick, more) => h("button", { class: cls, type: "button", onclick, ...more }, label);
function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : Date.now().toString(36) + Math.random().toString(36).slice(2);
}
const jitter = (ms) => ms * (0.8 + Math.random() * 0.4);
const nearBottom = () => body.scrollHeight - body.scrollTop - body.clientHeight < 48;
const preview = (text) => text.replace(/\s+/g, " ").trim().slice(0, 140);
const sortList = () => S.list && S.list.sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at));
const without = (list, x) => list.filter((y) => y !== x);

// WCAG relative luminance, as the loader does: text on the accent is white or near-black.
function ink(hex) {
  const l = [1, 3, 5].reduce((sum, i, k) => {
    const c = parseInt(hex.substr(i, 2), 16) / 255;
    return sum + [0.2126, 0.7152, 0.0722][k] * (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  }, 0);
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.0515 ? "#fff" : "#050505";
}

function ago(iso) {
  const at = new Date(iso), s = (Date.now() - at) / 1000;
  return isNaN(s) ? "" : s < 60 ? "just now" : s < 3600 ? `${(s / 60) | 0} min ago` : s < 86400 ? `${(s / 3600) | 0} h ago`
    : s < 172800 ? "yesterday" : s < 604800 ? `${(s / 86400) | 0} days ago`
    : at.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}
const time = (iso) => h("time", { datetime: iso, title: new Date(iso).toLocaleString() }, ago(iso));
setInterval(() => document.querySelectorAll("time").forEach((t) => (t.textContent = ago(t.dateTime))), 60000);

function pill(status) {
  const [text, tone] = STATUS[status] || [status, "closed"];
  return h("span", { class: "pill " + tone }, text);
}

// Web links become <a>s built here; everything else stays text.
function linkify(text) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(/\bhttps?:\/\/[^\s<>"]*[^\s<>".,;:!?)\]'}]/g)) {
    out.push(text.slice(last, m.index), h("a", { href: m[0], target: "_blank", rel: "noopener noreferrer" }, m[0]));
    last = m.index + m[0].length;
  }
  return [...out, text.slice(last)];
}

// ---- The parent page (the loader) ----
let parentOrigin = null, panelOpen = !inFrame, lastCount = 0;
const toParent = (msg) => parentOrigin && parent.postMessage({ source: "ferrodesk", ...msg }, parentOrigin);

addEventListener("message", (e) => {
  const d = e.data;
  if (!inFrame || e.source !== parent || !origins.includes(e.origin)) return;
  if (!d || typeof d !== "object" || d.source !== "ferrodesk") return;
  if (d.type === "hello") parentOrigin = parentOrigin || e.origin; // the first valid hello names the parent
  if (e.origin !== parentOrigin) return;
  if (d.type === "hello") {
    toParent({ type: "ready" });
    if (lastCount) toParent({ type: "unread", count: lastCount });
  } else if (d.type === "open") {
    panelOpen = true;
    unread.clear();
    postUnread();
    if (on("thread")) seen(S.thread.id);
    if (matchMedia("(hover: hover)").matches) focusFirst(); // no keyboard popping up on phones
  } else if (d.type === "closed") panelOpen = false;
  else if (d.type === "identify" && typeof d.token === "string" && d.token) identify(d.token);
  else if (d.type === "logout") logout();
});

function postUnread() {
  let count = 0;
  for (const n of unread.values()) count += n;
  if (count !== lastCount) toParent({ type: "unread", count });
  lastCount = count;
}

// A team reply: a dot on the list unless on screen; the badge unless on screen with the panel open.
function noteTeam(id) {
  const here = on("thread") && S.thread.id === id;
  if (!here) S.fresh.add(id);
  if (here && panelOpen) return;
  unread.set(id, (unread.get(id) || 0) + 1);
  postUnread();
}
function seen(id) {
  S.fresh.delete(id);
  if (unread.delete(id)) postUnread();
}

// ---- The API ----
// A Blob body is a file upload, sent as its raw bytes.
async function api(method, path, body, headers = {}) {
  const sent = token(), raw = body instanceof Blob;
  if (sent) headers.Authorization = "Bearer " + sent;
  if (body) headers["Content-Type"] = raw ? "application/octet-stream" : "application/json";
  let res;
  try {
    res = await fetch(API + path, { method, headers, body: body && (raw ? body : JSON.stringify(body)), credentials: "omit", cache: "no-store" });
  } catch {
    // A server refusing a too-large upload may drop the connection mid-send: that is no outage.
    if (raw) throw { status: body.size > MAX_FILE ? 413 : 0, message: "The upload failed. Check your connection and try again.", fields: {} };
    goOffline();
    throw { offline: true, message: OFFLINE, fields: {} };
  }
  backOnline();
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (res.ok) return data;
  const { code, message, fields } = data || {}, err = { status: res.status, code, fields: {}, message };
  if (typeof message !== "string" || !message)
    err.message = res.status >= 500 ? "Something went wrong on our side. Please try again in a moment." : "That didn't work. Please try again.";
  // `fields` holds a list of messages per field; a lone string is taken too.
  for (const [name, v] of Object.entries(fields || {})) err.fields[name] = [].concat(v).join(" ");
  if (res.status === 429) {
    const v = res.headers.get("Retry-After") || "", s = Math.ceil(/^\d+$/.test(v) ? +v : (Date.parse(v) - Date.now()) / 1000);
    err.message = `Too many ${raw ? "files" : "messages"} just now; try again in ${s > 0 ? s + " s" : "a moment"}`;
  }
  if (code === "identity_required" && S.config) S.config.identity_required = true;
  // Our visitor token ended (expired, secret rotated): start over. A rejected identity JWT is not ours.
  if (res.status === 401 && sent && sent === token() && path !== "/identify") forget();
  throw err;
}

// ---- Offline: a banner, and the work to do again once a call gets through ----
const waiting = new Set();
let netDown = false, sockDown = false, probeTimer = 0;

function setBanner() {
  const text = netDown || sockDown ? OFFLINE : "", stick = nearBottom();
  if (banner.textContent === text) return;
  banner.textContent = text;
  if (stick) body.scrollTop = body.scrollHeight; // the banner took room: keep the newest message in view
}
function goOffline() {
  netDown = true;
  setBanner();
  probeTimer = probeTimer || setTimeout(probe, jitter(5000));
}
function probe() {
  probeTimer = 0;
  loadConfig(); // a cheap call: its failure probes again, its success runs what waits
}
function backOnline() {
  if (!netDown) return;
  netDown = false;
  setBanner();
  const again = [...waiting];
  waiting.clear();
  again.forEach((fn) => fn());
  connect();
}
addEventListener("online", () => netDown && (clearTimeout(probeTimer), probe()));

// ---- Live updates: a socket; polling the open conversation while there is none ----
let ws = null, wsReady = false, wsEver = false, wsDelay = 1000, wsTimer = 0, downTimer = 0, pollTimer = 0;

function connect() {
  const sent = token();
  let sock;
  if (!sent || ws || wsTimer) return;
  try { sock = ws = new WebSocket(WS_URL); } catch { return; } // refused outright: polling it is
  sock.onopen = () => sock.send(JSON.stringify({ type: "auth", token: sent }));
  sock.onmessage = (e) => ws === sock && onFrame(json(e.data) || {});
  sock.onclose = (e) => {
    if (ws !== sock) return;
    ws = null;
    wsReady = false;
    if (e.code === 1008) api("GET", "/visitor").catch(() => {}); // refused: a 401 there forgets a dead token
    // A socket that never worked (the server may have none) is no reason to say "offline".
    if (wsEver && !downTimer) downTimer = setTimeout(() => ((sockDown = true), setBanner()), 3000);
    poll();
    if (token()) wsTimer = setTimeout(() => ((wsTimer = 0), connect()), jitter(wsDelay));
    wsDelay = Math.min(wsDelay * 2, 30000);
  };
}

function closeSocket() {
  const sock = ws;
  [wsTimer, downTimer].forEach(clearTimeout);
  ws = null;
  wsTimer = downTimer = 0;
  wsReady = sockDown = false;
  wsDelay = 1000;
  setBanner();
  if (sock) sock.close();
}

function onFrame(f) {
  const m = f.message, c = f.conversation;
  if (f.type === "ready") {
    const again = wsEver;
    clearTimeout(downTimer);
    downTimer = 0;
    wsReady = wsEver = true;
    sockDown = false;
    wsDelay = 1000;
    setBanner();
    poll(); // stops it
    if (again && S.thread) refreshThread(); // back after a drop: fetch what was said meanwhile
    if (again) loadList().catch(() => {});
  } else if (f.type === "message" && typeof f.conversation_id === "string" && m && typeof m.body === "string") {
    const id = f.conversation_id, t = S.thread, item = S.list && S.list.find((x) => x.id === id);
    const added = t && t.id === id ? addMessages(t, [m]) : 1;
    if (m.from_team && added) noteTeam(id);
    if (item) Object.assign(item, { preview: preview(m.body), updated_at: m.created_at }), sortList();
    else loadList().catch(() => {});
    if (!on("start")) render();
  } else if (f.type === "conversation" && c && typeof c.id === "string") {
    const i = S.list ? S.list.findIndex((x) => x.id === c.id) : -2;
    if (i >= 0) S.list[i] = c;
    if (i === -1) S.list.unshift(c);
    sortList();
    if (S.thread && S.thread.id === c.id) Object.assign(S.thread, { status: c.status, subject: c.subject });
    if (!on("start")) render();
  }
}

// Idempotent: each failed reconnect calls it, and must not push the next poll further away.
function poll() {
  if (wsReady || !token() || !on("thread")) clearTimeout(pollTimer), (pollTimer = 0);
  else pollTimer = pollTimer || setTimeout(() => ((pollTimer = 0), refreshThread().then(poll)), 5000);
}

// Adds the messages not shown yet (by id) and answers how many; the visitor's own message replaces
// its "sending" copy; with `count`, new team replies count as unread.
function addMessages(t, messages, count) {
  const have = new Set(t.messages.map((m) => m.id));
  let added = 0;
  for (const m of messages.filter((m) => !have.has(m.id))) {
    have.add(m.id);
    t.messages.push(m);
    added++;
    const mine = !m.from_team && S.pending.find((p) => p.conv === t.id && p.state === "sending" && p.body === m.body.trim());
    if (mine) S.pending = without(S.pending, mine);
    if (m.from_team && count) noteTeam(t.id);
  }
  t.messages.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  return added;
}

// ---- Loading ----
async function loadConfig() {
  try {
    S.config = await api("GET", "/config");
    S.unavailable = false;
    store.set(CONFIG, JSON.stringify(S.config));
  } catch (e) {
    if (e.offline) waiting.add(loadConfig);
    if (e.status !== 404) return paintHeader(); // keep the cached one
    S.unavailable = true;
    store.set(CONFIG, null);
  }
  on("start") || on("loading") ? render() : paintHeader();
}

async function loadVisitor() {
  const sent = token(), d = S.drafts;
  if (!sent) return;
  try {
    const [visitor] = await Promise.all([api("GET", "/visitor"), loadList()]);
    if (token() !== sent) return;
    S.visitor = visitor;
    if (!visitor.identified) d.name = d.name || visitor.name, d.email = d.email || visitor.email;
    if (on("loading") || (on("start") && !d.message)) S.screen = S.list.length ? "list" : "start";
    render();
    connect();
  } catch (e) {
    if (e.offline) return waiting.add(loadVisitor);
    if (e.status === 401 || !on("loading")) return; // a 401 went back to the start already
    Object.assign(S, { screen: "start", formError: e.message });
    render();
  }
}

async function loadList() {
  const sent = token(), list = sent && (await api("GET", "/conversations"));
  if (!list || token() !== sent) return;
  S.list = list.items || [];
  sortList();
  if (on("list")) render();
}

async function refreshThread() {
  const t = S.thread;
  if (!t) return;
  try {
    const c = await api("GET", "/conversations/" + encodeURIComponent(t.id));
    if (S.thread !== t) return;
    const first = t.loading;
    Object.assign(t, { number: c.number, subject: c.subject, status: c.status, loading: false, error: "" });
    addMessages(t, c.messages || [], !first);
  } catch (e) {
    if (S.thread !== t || !t.loading) return;
    if (e.offline) return waiting.add(refreshThread);
    Object.assign(t, { loading: false, error: e.message });
  }
  if (on("thread")) render();
}

// ---- Actions ----
function forget() {
  store.set(TOKEN, null);
  closeSocket();
  poll(); // stops it: no token
  Object.assign(S, { visitor: null, list: null, thread: null, pending: [], notice: null, screen: "start", files: {} });
  S.fresh.clear();
  unread.clear();
  postUnread();
  render();
}

function logout() {
  Object.assign(S, { drafts: { name: "", email: "", message: "", reply: {} }, thanks: false });
  forget();
}

async function identify(jwt) {
  try {
    const session = await api("POST", "/identify", { token: jwt });
    store.set(TOKEN, session.token);
    S.visitor = session.visitor;
    S.files = {}; // the previous visitor's uploads: this one cannot send them
    toParent({ type: "identified", ok: true });
    closeSocket();
    connect();
    await loadList().catch(() => {});
    const list = S.list || [], shown = S.thread && list.some((c) => c.id === S.thread.id);
    if (on("loading") || (on("thread") && !shown) || (on("start") && !S.drafts.message && !S.thanks))
      S.screen = list.length ? "list" : "start";
    render();
  } catch (e) {
    if (e.offline) return waiting.add(() => identify(jwt));
    if (e.status) toParent({ type: "identified", ok: false, message: e.message });
  }
}

function showList() {
  S.screen = S.list && S.list.length ? "list" : "start";
  S.notice = null;
  render();
  poll(); // stops polling a conversation no longer on screen
  focusFirst();
  loadList().catch(() => {});
}

function newConversation() {
  Object.assign(S, { screen: "start", thanks: false, formError: "", fieldErrors: {} });
  render();
  focusOn("message");
}

function openThread(c) {
  const full = Array.isArray(c.messages);
  S.thread = full ? c : { id: c.id, number: c.number, subject: c.subject, status: c.status, messages: [], loading: true };
  S.screen = "thread";
  seen(c.id);
  render();
  focusFirst();
  if (!full) refreshThread();
  poll();
}

async function submitFirst(retried) {
  const d = S.drafts, identified = S.visitor && S.visitor.identified, errors = {}, hadToken = !!token();
  if (S.sending || uploading("new")) return;
  if (!identified && !d.name.trim()) errors.name = "Please tell us your name.";
  if (!identified && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(d.email.trim())) errors.email = "Please enter a valid email address.";
  if (!d.message.trim()) errors.message = "Please write your message.";
  Object.assign(S, { fieldErrors: errors, formError: "", queued: false });
  const bad = Object.keys(errors)[0];
  if (bad) return render(), focusOn(bad);
  const payload = identified ? {} : { name: d.name.trim(), email: d.email.trim() };
  payload.message = d.message.trim();
  const ids = hadToken ? readyIds("new") : [];
  if (ids.length) payload.attachment_ids = ids;
  S.sending = true;
  render();
  try {
    // The key makes a retry after a lost answer return the same conversation, not a second one.
    const { conversation: c, session: s } = await api("POST", "/conversations", payload, { "Idempotency-Key": S.draftKey });
    const last = c.messages[c.messages.length - 1];
    if (s) store.set(TOKEN, s.token), (S.visitor = s.visitor);
    Object.assign(S, { sending: false, draftKey: newKey(), notice: c.id });
    S.list = [{ id: c.id, number: c.number, subject: c.subject, status: c.status, updated_at: c.updated_at,
      preview: last ? preview(last.body) : "" }, ...(S.list || []).filter((x) => x.id !== c.id)];
    d.message = "";
    S.files.new = [];
    showAnswers([]);
    announcer.textContent = `We have your request #${c.number}. We'll reply here and by email.`;
    openThread(c);
    connect();
  } catch (e) {
    S.sending = false;
    if (e.offline) return (S.queued = true), waiting.add(submitFirst), render();
    // Our visitor token had ended (forgotten by now): write in as a new visitor.
    if (e.status === 401 && hadToken && !retried && e.code !== "identity_required") return submitFirst(true);
    Object.assign(S, { fieldErrors: e.fields || {}, formError: e.message, draftKey: newKey() });
    render();
  }
}

function sendReply() {
  const t = S.thread, text = (S.drafts.reply[t.id] || "").trim(), files = chipsOf(t.id).filter((c) => c.state === "ready");
  if (uploading(t.id)) return; // Send is off until the files are up
  // The server takes no message without words.
  if (!text) return files.length && (C.note.textContent = "Write a few words to go with your files.");
  const p = { key: newKey(), conv: t.id, body: text, files };
  S.drafts.reply[t.id] = composer.value = "";
  S.files[t.id] = [];
  paintFiles(t.id);
  grow();
  S.pending.push(p);
  deliver(p);
  body.scrollTop = body.scrollHeight;
}

async function deliver(p) {
  Object.assign(p, { state: "sending", error: "" });
  if (on("thread")) render();
  try {
    const ids = p.files.map((c) => c.attachment.id), reply = ids.length ? { body: p.body, attachment_ids: ids } : { body: p.body };
    const m = await api("POST", `/conversations/${encodeURIComponent(p.conv)}/messages`, reply, { "Idempotency-Key": p.key });
    const t = S.thread, item = S.list && S.list.find((c) => c.id === p.conv);
    S.pending = without(S.pending, p);
    if (t && t.id === p.conv) addMessages(t, [m]);
    if (t && t.id === p.conv && t.status === "solved") t.status = "open"; // a reply reopens it; the socket confirms
    if (item) Object.assign(item, { preview: preview(m.body), updated_at: m.created_at }), sortList();
  } catch (e) {
    if (!S.pending.includes(p)) return;
    if (e.offline) (p.state = "waiting"), waiting.add(() => deliver(p));
    else Object.assign(p, { state: "failed", error: e.message });
  }
  if (on("thread")) render();
}

// A failed reply's text and files go back into the box, to change or send again.
function editFailed(p) {
  const d = S.drafts.reply;
  S.pending = without(S.pending, p);
  composer.value = d[p.conv] = [p.body, d[p.conv]].filter(Boolean).join("\n");
  S.files[p.conv] = [...p.files, ...chipsOf(p.conv)];
  render();
  filesChanged(p.conv);
  composer.focus();
}

// ---- Files: each uploads as soon as it is chosen, so sending only names it ----
// A chip: {key, name, size, state: uploading | ready | refused, error, attachment, node}.
const chipsOf = (where) => S.files[where] || (S.files[where] = []);
const counted = (where) => chipsOf(where).filter((c) => c.state !== "refused").length;
const uploading = (where) => chipsOf(where).some((c) => c.state === "uploading");
const readyIds = (where) => chipsOf(where).filter((c) => c.state === "ready").map((c) => c.attachment.id);
const size = (n) => n < 1024 ? n + " B" : n < 1048576 ? Math.ceil(n / 1024) + " KB" : (n / 1048576).toFixed(1) + " MB";

function addFiles(where, list) {
  for (const file of list) {
    const c = { key: newKey(), name: file.name || "file", size: file.size, state: "uploading", error: "" };
    if (counted(where) >= MAX_FILES) Object.assign(c, { state: "refused", error: `A message can carry at most ${MAX_FILES} files.` });
    chipsOf(where).push(c);
    if (c.state === "uploading") upload(where, c, file);
  }
  filesChanged(where);
}

async function upload(where, c, file) {
  try {
    c.attachment = await api("POST", "/attachments?filename=" + encodeURIComponent(c.name), file);
    c.state = "ready";
  } catch (e) {
    // The server's words (a 415 says which types it takes); a 413 may come without any.
    c.state = "refused";
    c.error = e.status === 413 ? "This file is larger than 10 MB, the most one file can be." : e.message;
  }
  c.node = null;
  filesChanged(where);
}

function removeFile(where, c) {
  S.files[where] = without(chipsOf(where), c);
  filesChanged(where);
  focusOn(where === "new" ? "message" : "reply");
}

function filesChanged(where) {
  if (where === "new" && on("start")) render();
  else if (on("thread") && footFor === where) paintFiles(where);
}

// The composer is not rebuilt while a reply is typed: its files, Attach and Send change in place.
function paintFiles(where) {
  const list = chipsOf(where).map((c) => chipNode(where, c)), box = C.chips;
  [...box.children].forEach((n) => list.includes(n) || n.remove());
  list.forEach((n, i) => box.children[i] !== n && box.insertBefore(n, box.children[i] || null));
  attachState(C.attach, where);
  C.send.disabled = uploading(where);
  C.note.textContent = "";
}

// Kept per chip, so a refusal is announced once, not at every repaint.
const chipNode = (where, c) => c.node || (c.node = h("li", { class: "chip " + c.state, "data-state": c.state },
  c.state === "uploading" && h("span", { class: "spin", role: "status", "aria-label": "Uploading" }),
  h("span", { class: "cn" }, c.name), h("span", { class: "cs" }, size(c.size)),
  button("x", "×", () => removeFile(where, c), { "aria-label": "Remove " + c.name, title: "Remove" }),
  c.error && h("span", { class: "ce", role: "alert" }, c.error)));

const chipList = (where) => h("ul", { class: "chips", "aria-label": "Files to send" }, chipsOf(where).map((c) => chipNode(where, c)));

function attachState(btn, where) {
  btn.disabled = counted(where) >= MAX_FILES;
  btn.title = btn.disabled ? `A message can carry at most ${MAX_FILES} files` : "Attach files (or drop or paste them here)";
}

// "Attach": a button that opens the (hidden) file picker.
function attachControl(where, text) {
  const input = h("input", { type: "file", multiple: true, hidden: true, "data-k": "file-" + where,
    onchange: () => (addFiles(where, [...input.files]), (input.value = "")) }); // the same file may be chosen again
  const btn = button("btn clip", [clip(), text], () => input.click(), { "aria-label": text ? null : "Attach files", "data-k": "attach-" + where });
  attachState(btn, where);
  return [input, btn];
}

function clip() {
  const ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg"), path = document.createElementNS(ns, "path");
  const attrs = { viewBox: "0 0 24 24", width: 18, height: 18, "aria-hidden": "true", fill: "none", stroke: "currentColor",
    "stroke-width": 2, "stroke-linecap": "round", "stroke-linejoin": "round" };
  for (const [k, v] of Object.entries(attrs)) svg.setAttribute(k, v);
  path.setAttribute("d", "M21.4 11.1l-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5");
  svg.append(path);
  return svg;
}

const pasteFiles = (where) => (e) => {
  const list = [...((e.clipboardData && e.clipboardData.files) || [])];
  if (list.length) e.preventDefault(), addFiles(where, list);
};

// A file dropped anywhere in the frame goes to the message being written; never does the frame
// navigate to it.
const dropTarget = () => on("thread") && footFor ? footFor : on("start") && token() && app.querySelector('[data-k="attach-new"]') ? "new" : "";
const dragsFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");
document.addEventListener("dragover", (e) => dragsFiles(e) && (e.preventDefault(), (e.dataTransfer.dropEffect = dropTarget() ? "copy" : "none")));
document.addEventListener("drop", (e) => {
  if (!dragsFiles(e)) return;
  e.preventDefault();
  const where = dropTarget();
  if (where) addFiles(where, [...e.dataTransfer.files]);
});

// A message's files, read with the visitor token: images as thumbnails from a data: URL (the frame's
// CSP takes no blob: images), and each saved under its name from a blob: URL.
const blobs = new Map(), hrefs = new Map();
function readFile(a) {
  if (!blobs.has(a.id)) blobs.set(a.id, fetch(API + "/attachments/" + encodeURIComponent(a.id),
    { headers: { Authorization: "Bearer " + token() }, credentials: "omit" })
    .then((res) => (res.ok ? res.blob() : Promise.reject(res.status)))
    .catch((e) => (blobs.delete(a.id), Promise.reject(e))));
  return blobs.get(a.id);
}
const hrefOf = (a, blob) => hrefs.get(a.id) || (hrefs.set(a.id, URL.createObjectURL(blob)), hrefs.get(a.id));
const dataUrl = (blob) => new Promise((ok, fail) => {
  const r = new FileReader();
  r.onload = () => ok(r.result);
  r.onerror = fail;
  r.readAsDataURL(blob);
});

const attachments = (list) => list && list.length > 0 && h("ul", { class: "atts", "aria-label": "Files" },
  list.map((a) => h("li", {}, a.inline ? thumb(a) : fileButton(a))));

function thumb(a) {
  const img = h("img", { alt: a.filename }), link = h("a", { class: "thumb", download: a.filename, title: a.filename }, img);
  readFile(a).then(async (blob) => {
    const src = await dataUrl(blob), stick = nearBottom();
    img.onload = () => stick && (body.scrollTop = body.scrollHeight);
    img.src = src;
    link.href = hrefOf(a, blob);
  }).catch(() => link.replaceWith(fileButton(a)));
  return link;
}

function fileButton(a) {
  const note = h("span", { class: "cs" }, size(a.size_bytes));
  return button("file", [clip(), h("span", { class: "cn" }, a.filename), note], async () => {
    try {
      const link = h("a", { href: hrefOf(a, await readFile(a)), download: a.filename, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      note.textContent = size(a.size_bytes);
    } catch {
      note.textContent = "Couldn't download it; try again";
    }
  }, { title: "Download " + a.filename });
}

// ---- Suggested answers while the visitor types a first message ----
let answersOff = false, answerTimer = 0, answerSeq = 0;

function suggestSoon() {
  const text = S.drafts.message.trim();
  clearTimeout(answerTimer);
  if (answersOff || !S.config || !S.config.suggest_answers || text.length < 12) return S.answers.length && showAnswers([]);
  answerTimer = setTimeout(async () => {
    const seq = ++answerSeq;
    try {
      const r = await api("POST", "/answers", { text: text.slice(0, 2000) }); // the server takes 12 to 2,000
      if (seq === answerSeq) showAnswers(((r && r.items) || []).slice(0, 3));
    } catch (e) {
      if (e.status === 404) (answersOff = true), showAnswers([]); // not built on this server: stop asking
    }
  }, 400);
}

function showAnswers(list) {
  S.answers = list;
  fill(answersBox, list.length > 0 && [h("p", { class: "ah" }, "These answers might help"), list.map((a) =>
    h("article", { class: "card" }, h("h3", {}, a.title), h("p", { class: "clamp" }, linkify(a.body || "")),
      button("btn", "This answered my question", () => helpful(a))))]);
}

function helpful(a) {
  api("POST", `/answers/${encodeURIComponent(a.id)}/helpful`).catch(() => {});
  S.thanks = true;
  showAnswers([]);
  render();
  focusOn("thanks");
}

// ---- Rendering ----
const app = document.getElementById("app");
// A live region over the whole app would read every re-render (and each minute's time update) aloud:
// announcements come from the message log, the banner, alerts and the announcer instead.
app.removeAttribute("aria-live");
const backBtn = button("ib", "‹", () => showList(), { "aria-label": "All conversations" });
const title = h("h1");
const banner = h("div", { class: "off", role: "status" });
const announcer = h("div", { class: "sr", "aria-live": "polite" });
const body = h("div", { class: "sc" });
const foot = h("div", { class: "ft" });
const answersBox = h("div", { class: "answers" });
app.append(h("header", { class: "hd" }, backBtn, title,
  inFrame && button("ib", "×", () => toParent({ type: "close" }), { "aria-label": "Close chat" })), banner, body, foot, announcer);
let composer = null, view = "", footFor = "", T = null, C = null;

function paintHeader() {
  const c = S.config;
  title.textContent = c ? c.workspace_name : "";
  if (c && /^#[0-9a-f]{6}$/i.test(c.colour)) root.style.setProperty("--accent", c.colour), root.style.setProperty("--on-accent", ink(c.colour));
  backBtn.hidden = !(on("thread") || (on("start") && S.list && S.list.length));
}

function render() {
  // Rebuilt nodes keep the focus and caret: the inputs and buttons that matter carry data-k.
  const active = document.activeElement, key = active && active.dataset.k, t = S.thread;
  let caret = null;
  try { if (key && typeof active.selectionStart === "number") caret = [active.selectionStart, active.selectionEnd]; }
  catch { /* an email input has no caret */ }
  const next = S.screen + (on("thread") ? t.id : ""), stick = nearBottom(), top = body.scrollTop;
  paintHeader();
  if (next !== view || !on("thread")) fill(body, screens[S.screen]());
  if (on("thread")) updateThread();
  body.scrollTop = on("thread") && (stick || next !== view) ? body.scrollHeight : next === view ? top : 0;
  view = next;
  // The composer is rebuilt only for another conversation: a reply being typed (or composed with an
  // IME) is never interrupted by an arriving message.
  const wants = on("thread") && t.status !== "closed" && !t.error ? t.id : "";
  if (wants !== footFor) fill(foot, (footFor = wants) && composerForm(t.id));
  const el = key && app.querySelector(`[data-k="${CSS.escape(key)}"]`);
  if (el && el !== document.activeElement) {
    el.focus({ preventScroll: true });
    try { if (caret) el.setSelectionRange(...caret); } catch { /* no caret on an email input */ }
  }
}

function focusOn(key) {
  const el = app.querySelector(`[data-k="${key}"]`);
  if (el) el.focus();
}
function focusFirst() {
  const el = on("thread") && footFor ? composer : body.querySelector(".in:placeholder-shown, textarea, .row, .btn, .link");
  if (el) el.focus();
}

const greeting = () => (S.config ? h("p", { class: "greet" }, S.config.greeting) : h("div", { class: "sk" }));

const screens = {
  loading: () => [greeting(), h("div", { class: "sk" }), h("div", { class: "sk short" })],
  start() {
    const c = S.config, v = S.visitor, identified = v && v.identified, send = (e) => (e.preventDefault(), submitFirst());
    if (S.unavailable) return h("p", { class: "calm" }, "Chat isn't available right now. Please try again later.");
    if (c && c.identity_required && !identified)
      return [greeting(), h("p", { class: "calm" }, `Sign in on ${c.workspace_name}'s site to chat with us.`)];
    if (S.thanks)
      return [greeting(), h("div", { class: "calm" }, h("p", { class: "big", tabindex: "-1", "data-k": "thanks" }, "Glad that helped!"),
        button("link", "Write to us anyway", newConversation))];
    return [greeting(), h("form", { class: "form", novalidate: true, onsubmit: send },
      identified ? h("p", { class: "muted" }, `Signed in as ${v.email}`)
        : [field("name", "Your name", "input", { type: "text", autocomplete: "name" }),
          field("email", "Email", "input", { type: "email", autocomplete: "email" })],
      field("message", "Message", "textarea", { rows: 4, onkeydown: (e) => e.key === "Enter" && (e.ctrlKey || e.metaKey) && send(e),
        onpaste: token() ? pasteFiles("new") : null }),
      // Uploading needs a visitor token: only a returning visitor attaches to a first message.
      token() && [chipList("new"), h("div", { class: "attach" }, attachControl("new", "Attach files"))],
      answersBox,
      S.formError && h("p", { class: "alert", role: "alert" }, S.formError),
      h("button", { class: "btn primary", disabled: S.sending || uploading("new") }, S.sending ? "Sending…" : "Send"),
      S.queued && h("p", { class: "hint" }, "We'll send it as soon as you're back online."))];
  },
  list: () => [
    h("div", { class: "lh" }, h("h2", {}, "Conversations"), button("btn primary", "New conversation", newConversation, { "data-k": "new" })),
    h("ul", { class: "list" }, S.list.map((c) => h("li", {}, button("row" + (S.fresh.has(c.id) ? " fresh" : ""), [
      h("span", { class: "r1" }, h("span", { class: "subj" }, c.subject), pill(c.status)),
      h("span", { class: "r2" }, h("span", { class: "prev" }, c.preview), time(c.updated_at)),
      S.fresh.has(c.id) && h("span", { class: "sr" }, "New reply")], () => openThread(c), { "data-k": "c" + c.id })))),
  ],
  thread() {
    T = { head: h("div", { class: "th" }), log: h("ol", { class: "log", role: "log", "aria-label": "Messages" }), tail: h("div"), nodes: new Map() };
    return [T.head, T.log, T.tail];
  },
};

function field(name, label, tag, props) {
  const id = "f-" + name, error = S.fieldErrors[name];
  return h("div", { class: "field" }, h("label", { for: id }, label),
    h(tag, { ...props, id, name, class: "in", "data-k": name, required: true, placeholder: " ", value: S.drafts[name],
      "aria-invalid": !!error && "true", "aria-describedby": !!error && id + "-e",
      oninput: (e) => { S.drafts[name] = e.target.value; if (name === "message") suggestSoon(); } }),
    error && h("p", { class: "err", id: id + "-e" }, error));
}

// The log gains or loses only the nodes that changed, so a screen reader announces just what is new.
function updateThread() {
  const t = S.thread, want = t.loading ? [["sk", () => h("li", { class: "sk" })]] : [], nodes = new Map();
  fill(T.head, h("h2", {}, t.subject || (t.loading ? "" : "Conversation")),
    h("div", { class: "meta" }, t.number && "#" + t.number, t.status && pill(t.status)),
    S.notice === t.id && h("p", { class: "notice" }, `We have your request #${t.number}. We'll reply here and by email.`));
  for (const m of t.messages) want.push(["m" + m.id, () => bubble(m)]);
  for (const p of S.pending) if (p.conv === t.id) want.push(["p" + p.key + p.state + p.error, () => pendingBubble(p)]);
  want.forEach(([key, make], i) => {
    const node = T.nodes.get(key) || make();
    nodes.set(key, node);
    if (T.log.children[i] !== node) T.log.insertBefore(node, T.log.children[i] || null);
  });
  while (T.log.children.length > want.length) T.log.lastChild.remove();
  T.nodes = nodes;
  fill(T.tail, t.error && h("p", { class: "alert", role: "alert" }, t.error),
    t.status === "solved" && h("p", { class: "st" }, "Marked solved — reply to reopen"),
    t.status === "closed" && h("div", { class: "st" }, h("p", {}, "This conversation is closed."),
      button("btn primary", "New conversation", newConversation, { "data-k": "new" })));
}

const bubble = (m) => h("li", { class: "msg " + (m.from_team ? "team" : "me") },
  m.from_team && h("span", { class: "who" }, m.author_name),
  h("div", { class: "bub" }, !m.from_team && h("span", { class: "sr" }, "You: "), linkify(m.body)),
  attachments(m.attachments),
  h("span", { class: "when" }, time(m.created_at)));

const pendingBubble = (p) => h("li", { class: "msg me pend" + (p.state === "failed" ? " fail" : "") },
  h("div", { class: "bub" }, linkify(p.body)),
  p.files.length > 0 && h("ul", { class: "atts" }, p.files.map((c) => h("li", { class: "file" }, clip(), h("span", { class: "cn" }, c.name)))),
  h("span", { class: "when" }, p.state === "sending" ? "Sending…" : p.state === "waiting" ? "Waiting for a connection…"
    : [`Not sent: ${p.error} `, button("link", "Retry", () => deliver(p)), " · ", button("link", "Edit", () => editFailed(p))]));

function grow() {
  composer.style.height = "auto";
  composer.style.height = Math.min(composer.scrollHeight + 2, 160) + "px";
}

function composerForm(id) {
  const [input, attach] = attachControl(id, "");
  composer = h("textarea", { class: "in", rows: 1, "data-k": "reply", "aria-label": "Your reply", placeholder: "Write a reply…",
    value: S.drafts.reply[id] || "", onpaste: pasteFiles(id),
    oninput: (e) => { S.drafts.reply[id] = e.target.value; C.note.textContent = ""; grow(); },
    onkeydown: (e) => e.key === "Enter" && !e.shiftKey && !e.isComposing && (e.preventDefault(), sendReply()) });
  C = { chips: h("ul", { class: "chips", "aria-label": "Files to send" }), attach, send: h("button", { class: "btn primary" }, "Send"),
    note: h("p", { class: "err", role: "status" }) };
  paintFiles(id);
  return [C.chips, h("form", { class: "cmp", onsubmit: (e) => (e.preventDefault(), sendReply()) }, input, composer, attach, C.send),
    C.note, h("p", { class: "hint keys" }, "Enter to send, Shift+Enter for a new line")];
}

document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && inFrame && !e.isComposing && !e.defaultPrevented) toParent({ type: "close" });
});

// ---- Start: paint from what we know at once, then ask the server ----
render();
loadConfig();
loadVisitor();
