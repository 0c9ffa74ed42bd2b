/* Ferrodesk widget: the app inside the iframe, on the API's own origin. Plain JS, no build step.
 * Screens: start (greeting and a first message), list (the visitor's conversations), thread.
 * Server text only ever reaches the page as text: h() appends strings as text nodes, never as HTML. */
(() => {
  "use strict";

  const root = document.documentElement;
  const slug = root.dataset.slug || "";
  const origins = (() => {
    try {
      const list = JSON.parse(root.dataset.origins || "[]");
      return Array.isArray(list) ? list.filter((o) => typeof o === "string") : [];
    } catch {
      return [];
    }
  })();
  const API = "/api/v1/widget/" + encodeURIComponent(slug);
  const WS_URL = (location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + API + "/ws";
  const TOKEN = "ferrodesk.visitor." + slug;
  const CONFIG = "ferrodesk.config." + slug;
  const inFrame = window.parent !== window;
  const OFFLINE = "You're offline — we'll reconnect and send your message when we can.";
  const STATUS = {
    new: ["Open", "open"],
    open: ["Open", "open"],
    pending: ["Awaiting your reply", "pending"],
    solved: ["Solved", "solved"],
    closed: ["Closed", "closed"],
  };

  // ---- Storage: localStorage may be missing or blocked in a third-party iframe; memory then. ----
  const mem = new Map();
  const store = {
    get(key) {
      if (mem.has(key)) return mem.get(key);
      try {
        return localStorage.getItem(key);
      } catch {
        return null;
      }
    },
    set(key, value) {
      mem.set(key, value);
      try {
        if (value == null) localStorage.removeItem(key);
        else localStorage.setItem(key, value);
      } catch {
        /* memory only */
      }
    },
  };
  const token = () => store.get(TOKEN);
  const cached = (() => {
    try {
      return JSON.parse(store.get(CONFIG));
    } catch {
      return null;
    }
  })();

  const S = {
    config: cached, // the last config seen, so the header and greeting paint before the network answers
    unavailable: false,
    visitor: null,
    list: null,
    screen: token() ? "loading" : "start",
    thread: null,
    notice: null, // the conversation just started: "We have your request #..."
    pending: [], // replies on their way: {key, conv, body, state: sending | waiting | failed, error}
    drafts: { name: "", email: "", message: "", reply: {} },
    draftKey: newKey(),
    fieldErrors: {},
    formError: "",
    sending: false,
    queued: false,
    answers: [],
    thanks: false,
    fresh: new Set(), // conversations with a team reply the visitor has not opened
  };
  const unread = new Map(); // conversation id -> team replies not seen, summed for the launcher's badge

  // ---- Small helpers ----
  const kids = (list) => list.flat(2).filter((kid) => kid != null && kid !== false && kid !== "");
  const fill = (el, ...list) => el.replaceChildren(...kids(list));

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value == null || value === false) continue;
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "class") el.className = value;
      else if (key === "value") el.value = value;
      else el.setAttribute(key, value === true ? "" : value);
    }
    el.append(...kids(children));
    return el;
  }

  function newKey() {
    return crypto.randomUUID ? crypto.randomUUID() : Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  const jitter = (ms) => ms * (0.8 + Math.random() * 0.4);

  // Relative luminance (WCAG), as the loader does: text on the accent is white or near-black.
  function ink(hex) {
    const lum = [1, 3, 5].reduce((sum, i, k) => {
      const c = parseInt(hex.substr(i, 2), 16) / 255;
      return sum + [0.2126, 0.7152, 0.0722][k] * (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    }, 0);
    return 1.05 / (lum + 0.05) >= (lum + 0.05) / 0.0555 ? "#fff" : "#111";
  }

  function ago(iso) {
    const at = new Date(iso), s = (Date.now() - at) / 1000;
    if (isNaN(s)) return "";
    if (s < 60) return "just now";
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
    if (s < 172800) return "yesterday";
    if (s < 604800) return `${Math.floor(s / 86400)} days ago`;
    return at.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
  }
  const time = (iso) => h("time", { datetime: iso, title: new Date(iso).toLocaleString() }, ago(iso));
  setInterval(() => document.querySelectorAll("time[datetime]").forEach((t) => (t.textContent = ago(t.dateTime))), 60000);

  const pill = (status) => {
    const [text, tone] = STATUS[status] || [status, "closed"];
    return h("span", { class: "pill " + tone }, text);
  };

  // Plain text with its web links made clickable; every piece is a text node or an <a> we build.
  function linkify(text) {
    const out = [];
    let last = 0;
    for (const m of text.matchAll(/\bhttps?:\/\/[^\s<>"]*[^\s<>".,;:!?)\]'}]/g)) {
      out.push(text.slice(last, m.index), h("a", { href: m[0], target: "_blank", rel: "noopener noreferrer" }, m[0]));
      last = m.index + m[0].length;
    }
    out.push(text.slice(last));
    return out;
  }

  const preview = (body) => body.replace(/\s+/g, " ").trim().slice(0, 140);
  const sortList = () => S.list && S.list.sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at));

  // ---- The parent page (the loader) ----
  let parentOrigin = null;
  let panelOpen = !inFrame;
  let lastCount = 0;
  const toParent = (msg) => parentOrigin && parent.postMessage({ source: "ferrodesk", ...msg }, parentOrigin);

  addEventListener("message", (e) => {
    const d = e.data;
    if (!inFrame || e.source !== parent || !origins.includes(e.origin)) return;
    if (!d || typeof d !== "object" || d.source !== "ferrodesk") return;
    if (d.type === "hello") {
      if (!parentOrigin) parentOrigin = e.origin;
      if (e.origin !== parentOrigin) return;
      toParent({ type: "ready" });
      if (lastCount) toParent({ type: "unread", count: lastCount });
      return;
    }
    if (e.origin !== parentOrigin) return;
    if (d.type === "open") {
      panelOpen = true;
      unread.clear();
      postUnread();
      if (S.screen === "thread") seen(S.thread.id);
      if (matchMedia("(hover: hover)").matches) focusFirst();
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

  // A team reply the visitor has not seen: on the list (a dot) and, unless on screen, on the badge.
  function noteTeam(id) {
    const here = S.screen === "thread" && S.thread && S.thread.id === id;
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
  function fallback(status) {
    if (status === 404) return "This chat isn't available right now.";
    if (status === 401) return "This chat session has ended; please start again.";
    if (status >= 500) return "Something went wrong on our side. Please try again in a moment.";
    return "That didn't work. Please try again.";
  }

  function retryAfter(value) {
    if (!value) return 0;
    const seconds = /^\d+$/.test(value) ? Number(value) : (Date.parse(value) - Date.now()) / 1000;
    return seconds > 0 ? Math.ceil(seconds) : 1;
  }

  async function api(method, path, body, headers = {}) {
    const sent = token();
    if (sent) headers.Authorization = "Bearer " + sent;
    if (body) headers["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(API + path, {
        method,
        headers,
        body: body && JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
      });
    } catch {
      goOffline();
      throw { offline: true, message: OFFLINE, fields: {} };
    }
    backOnline();
    if (res.status === 204) return null;
    const data = await res.json().catch(() => null);
    if (res.ok) return data;
    const err = {
      status: res.status,
      code: data && data.code,
      message: (data && typeof data.message === "string" && data.message) || fallback(res.status),
      fields: {},
    };
    // The contract's `fields` holds a list of messages per field; a single string is taken too.
    for (const [name, value] of Object.entries((data && data.fields) || {})) err.fields[name] = [].concat(value).join(" ");
    if (res.status === 429) {
      const s = retryAfter(res.headers.get("Retry-After"));
      err.message = `Too many messages just now; try again in ${s ? s + " s" : "a moment"}`;
    }
    if (err.code === "identity_required" && S.config) S.config.identity_required = true;
    // The visitor token ended (expired, secret rotated): start over. A rejected identity token is not ours.
    if (res.status === 401 && sent && sent === token() && path !== "/identify") forget();
    throw err;
  }

  // ---- Offline: a banner, and the work to do again once a call gets through ----
  const waiting = new Set();
  let netDown = false, sockDown = false, probeTimer = 0, probeDelay = 3000;

  function setBanner() {
    const text = netDown || sockDown ? OFFLINE : "";
    if (banner.textContent === text) return;
    const stick = body.scrollHeight - body.scrollTop - body.clientHeight < 48;
    banner.textContent = text;
    if (stick) body.scrollTop = body.scrollHeight; // the banner took room: keep the newest message in view
  }

  function goOffline() {
    netDown = true;
    setBanner();
    if (!probeTimer) probeTimer = setTimeout(probe, jitter(probeDelay));
  }

  function probe() {
    probeTimer = 0;
    probeDelay = Math.min(probeDelay * 2, 30000);
    loadConfig();
  }

  function backOnline() {
    if (!netDown) return;
    netDown = false;
    probeDelay = 3000;
    clearTimeout(probeTimer);
    probeTimer = 0;
    setBanner();
    const again = [...waiting];
    waiting.clear();
    again.forEach((fn) => fn());
    connect();
  }

  addEventListener("online", () => {
    if (!netDown) return;
    clearTimeout(probeTimer);
    probe();
  });

  // ---- Live updates: a socket, and polling the open conversation while there is none ----
  let ws = null, wsReady = false, wsEver = false, wsDelay = 1000, wsTimer = 0, downTimer = 0, pollTimer = 0;

  function connect() {
    const sent = token();
    if (!sent || ws || wsTimer || !window.WebSocket) return;
    let sock;
    try {
      sock = new WebSocket(WS_URL);
    } catch {
      return retrySocket();
    }
    ws = sock;
    sock.onopen = () => sock.send(JSON.stringify({ type: "auth", token: sent }));
    sock.onmessage = (e) => ws === sock && onFrame(e.data);
    sock.onclose = (e) => {
      if (ws !== sock) return;
      ws = null;
      const was = wsReady;
      wsReady = false;
      // Refused by policy: check the token over HTTP (a 401 there forgets it).
      if (!was && (e.code === 1008 || e.code >= 4000)) api("GET", "/visitor").catch(() => {});
      // A socket that never worked (the server may have none) is no reason to say "offline".
      if (wsEver && !downTimer) downTimer = setTimeout(() => ((sockDown = true), setBanner()), 3000);
      poll();
      retrySocket();
    };
  }

  function retrySocket() {
    if (!token()) return;
    wsTimer = setTimeout(() => {
      wsTimer = 0;
      connect();
    }, jitter(wsDelay));
    wsDelay = Math.min(wsDelay * 2, 30000);
  }

  function closeSocket() {
    clearTimeout(wsTimer);
    clearTimeout(downTimer);
    wsTimer = downTimer = 0;
    sockDown = wsReady = false;
    setBanner();
    const sock = ws;
    ws = null;
    if (sock) sock.close();
    wsDelay = 1000;
  }

  function onFrame(raw) {
    let f;
    try {
      f = JSON.parse(raw);
    } catch {
      return;
    }
    if (!f || typeof f !== "object") return;
    if (f.type === "ready") {
      const again = wsEver;
      wsReady = wsEver = true;
      wsDelay = 1000;
      clearTimeout(downTimer);
      downTimer = 0;
      sockDown = false;
      setBanner();
      clearTimeout(pollTimer);
      // Back after a drop: fetch what was said meanwhile.
      if (again) {
        if (S.thread) refreshThread();
        loadList().catch(() => {});
      }
    } else if (f.type === "message" && typeof f.conversation_id === "string" && f.message && typeof f.message.body === "string") {
      gotMessage(f.conversation_id, f.message);
    } else if (f.type === "conversation" && f.conversation && typeof f.conversation.id === "string") {
      gotSummary(f.conversation);
    }
  }

  function poll() {
    clearTimeout(pollTimer);
    pollTimer = 0;
    if (wsReady || !token() || S.screen !== "thread") return;
    pollTimer = setTimeout(() => refreshThread().then(poll), 5000);
  }

  function gotMessage(id, message) {
    const t = S.thread;
    const added = t && t.id === id ? addMessages(t, [message], false) : 1;
    if (message.from_team && added) noteTeam(id);
    const item = S.list && S.list.find((c) => c.id === id);
    if (item) {
      item.preview = preview(message.body);
      item.updated_at = message.created_at;
      sortList();
    } else loadList().catch(() => {});
    if (S.screen === "list" || S.screen === "thread") render();
  }

  function gotSummary(c) {
    if (S.list) {
      const i = S.list.findIndex((x) => x.id === c.id);
      if (i >= 0) S.list[i] = c;
      else S.list.unshift(c);
      sortList();
    }
    if (S.thread && S.thread.id === c.id) Object.assign(S.thread, { status: c.status, subject: c.subject });
    if (S.screen === "list" || S.screen === "thread") render();
  }

  // Adds the messages not shown yet (by id); a visitor's own message replaces its "sending" copy.
  function addMessages(t, messages, count) {
    const have = new Set(t.messages.map((m) => m.id));
    let added = 0;
    for (const m of messages) {
      if (!m || have.has(m.id)) continue;
      have.add(m.id);
      t.messages.push(m);
      added++;
      if (!m.from_team) {
        const i = S.pending.findIndex((p) => p.conv === t.id && p.state === "sending" && p.body === m.body.trim());
        if (i >= 0) S.pending.splice(i, 1);
      } else if (count) noteTeam(t.id);
    }
    t.messages.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
    return added;
  }

  // ---- Loading ----
  async function loadConfig() {
    try {
      const c = await api("GET", "/config");
      S.config = c;
      S.unavailable = false;
      store.set(CONFIG, JSON.stringify(c));
    } catch (e) {
      if (e.offline) waiting.add(loadConfig);
      if (e.status !== 404) return paintHeader();
      S.unavailable = true;
      store.set(CONFIG, null);
    }
    if (S.screen === "start" || S.screen === "loading") render();
    else paintHeader();
  }

  async function loadVisitor() {
    const sent = token();
    if (!sent) return;
    try {
      const [visitor, list] = await Promise.all([api("GET", "/visitor"), api("GET", "/conversations")]);
      if (token() !== sent) return;
      S.visitor = visitor;
      S.list = list.items || [];
      sortList();
      if (!visitor.identified) {
        if (!S.drafts.name) S.drafts.name = visitor.name;
        if (!S.drafts.email) S.drafts.email = visitor.email;
      }
      if (S.screen === "loading" || (S.screen === "start" && !S.drafts.message)) S.screen = S.list.length ? "list" : "start";
      render();
      connect();
    } catch (e) {
      if (e.offline) return waiting.add(loadVisitor);
      if (e.status === 401 || S.screen !== "loading") return; // a 401 already went back to the start
      S.screen = "start";
      S.formError = e.message;
      render();
    }
  }

  async function loadList() {
    const sent = token();
    if (!sent) return;
    const list = await api("GET", "/conversations");
    if (token() !== sent) return;
    S.list = list.items || [];
    sortList();
    if (S.screen === "list") render();
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
    if (S.screen === "thread") render();
  }

  // ---- Actions ----
  function forget() {
    store.set(TOKEN, null);
    closeSocket();
    clearTimeout(pollTimer);
    Object.assign(S, { visitor: null, list: null, thread: null, pending: [], notice: null, screen: "start" });
    S.fresh.clear();
    unread.clear();
    postUnread();
    render();
  }

  function logout() {
    S.drafts = { name: "", email: "", message: "", reply: {} };
    S.thanks = false;
    forget();
  }

  async function identify(jwt) {
    try {
      const session = await api("POST", "/identify", { token: jwt });
      store.set(TOKEN, session.token);
      S.visitor = session.visitor;
      toParent({ type: "identified", ok: true });
      closeSocket();
      connect();
      await loadList().catch(() => {});
      const list = S.list || [];
      const shown = S.thread && list.some((c) => c.id === S.thread.id);
      if (S.screen === "loading" || (S.screen === "thread" && !shown) || (S.screen === "start" && !S.drafts.message && !S.thanks))
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
    focusField("message");
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
    if (S.sending) return;
    const d = S.drafts, identified = !!(S.visitor && S.visitor.identified), errors = {};
    if (!identified) {
      if (!d.name.trim()) errors.name = "Please tell us your name.";
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(d.email.trim())) errors.email = "Please enter a valid email address.";
    }
    if (!d.message.trim()) errors.message = "Please write your message.";
    Object.assign(S, { fieldErrors: errors, formError: "", queued: false });
    const bad = Object.keys(errors)[0];
    if (bad) return render(), focusField(bad);
    const body = { message: d.message.trim() };
    if (!identified) Object.assign(body, { name: d.name.trim(), email: d.email.trim() });
    const hadToken = !!token();
    S.sending = true;
    render();
    try {
      const started = await api("POST", "/conversations", body, { "Idempotency-Key": S.draftKey });
      S.sending = false;
      if (started.session) {
        store.set(TOKEN, started.session.token);
        S.visitor = started.session.visitor;
      }
      const c = started.conversation;
      Object.assign(S, { answers: [], draftKey: newKey(), notice: c.id });
      d.message = "";
      renderAnswers();
      S.list = [summaryOf(c), ...(S.list || []).filter((x) => x.id !== c.id)];
      say(`We have your request #${c.number}. We'll reply here and by email.`);
      openThread(c);
      connect();
    } catch (e) {
      S.sending = false;
      if (e.offline) {
        S.queued = true;
        waiting.add(submitFirst);
        return render();
      }
      // Our visitor token had ended (forgotten by now): write in as a new visitor.
      if (e.status === 401 && hadToken && !retried && e.code !== "identity_required") return submitFirst(true);
      Object.assign(S, { fieldErrors: e.fields, formError: e.message, draftKey: newKey() });
      render();
    }
  }

  const summaryOf = (c) => ({
    id: c.id,
    number: c.number,
    subject: c.subject,
    status: c.status,
    preview: preview((c.messages[c.messages.length - 1] || { body: "" }).body),
    updated_at: c.updated_at,
  });

  function sendReply() {
    const t = S.thread, text = (S.drafts.reply[t.id] || "").trim();
    if (!text) return;
    S.drafts.reply[t.id] = "";
    composer.value = "";
    grow(composer);
    const p = { key: newKey(), conv: t.id, body: text, state: "sending", error: "" };
    S.pending.push(p);
    deliver(p);
    body.scrollTop = body.scrollHeight;
  }

  async function deliver(p) {
    Object.assign(p, { state: "sending", error: "" });
    if (S.screen === "thread") render();
    try {
      const m = await api("POST", `/conversations/${encodeURIComponent(p.conv)}/messages`, { body: p.body }, { "Idempotency-Key": p.key });
      S.pending = S.pending.filter((x) => x !== p);
      const t = S.thread;
      if (t && t.id === p.conv) {
        addMessages(t, [m], false);
        if (t.status === "solved") t.status = "open"; // a reply reopens it; the socket confirms
      }
      const item = S.list && S.list.find((c) => c.id === p.conv);
      if (item) Object.assign(item, { preview: preview(m.body), updated_at: m.created_at });
      sortList();
    } catch (e) {
      if (!S.pending.includes(p)) return;
      if (e.offline) {
        p.state = "waiting";
        waiting.add(() => deliver(p));
      } else Object.assign(p, { state: "failed", error: e.message });
    }
    if (S.screen === "thread") render();
  }

  function editFailed(p) {
    S.pending = S.pending.filter((x) => x !== p);
    const d = S.drafts.reply;
    d[p.conv] = d[p.conv] ? p.body + "\n" + d[p.conv] : p.body;
    composer.value = d[p.conv];
    render();
    composer.focus();
  }

  // ---- Suggested answers while the visitor types a first message ----
  let answersOff = false, answerTimer = 0, answerSeq = 0;
  const answersBox = h("div", { class: "answers" });

  function suggestSoon() {
    clearTimeout(answerTimer);
    const text = S.drafts.message.trim();
    if (answersOff || !S.config || !S.config.suggest_answers || text.length < 12) {
      if (S.answers.length) (S.answers = []), renderAnswers();
      return;
    }
    answerTimer = setTimeout(async () => {
      const seq = ++answerSeq;
      try {
        const r = await api("POST", "/answers", { text });
        if (seq === answerSeq) (S.answers = ((r && r.items) || []).slice(0, 3)), renderAnswers();
      } catch (e) {
        if (e.status === 404) (answersOff = true), (S.answers = []), renderAnswers(); // not built yet: stop asking
      }
    }, 400);
  }

  function renderAnswers() {
    const cards = S.answers.map((a) =>
      h("article", { class: "card" },
        h("h3", {}, a.title),
        h("p", { class: "clamp" }, ...linkify(a.body || "")),
        h("button", { class: "btn", type: "button", onclick: () => helpful(a) }, "This answered my question")));
    fill(answersBox, cards.length && [h("p", { class: "ah" }, "These answers might help"), cards]);
  }

  function helpful(a) {
    api("POST", `/answers/${encodeURIComponent(a.id)}/helpful`).catch(() => {});
    S.thanks = true;
    S.answers = [];
    renderAnswers();
    render();
    focusField("thanks");
  }

  // ---- Rendering ----
  const app = document.getElementById("app");
  // A live region over the whole app would read every re-render aloud (and each minute's time
  // update): announcements come from the message log, the banner, alerts and `say` instead.
  app.removeAttribute("aria-live");
  const backBtn = h("button", { class: "ib", type: "button", "aria-label": "All conversations", onclick: showList }, "‹");
  const title = h("h1");
  const closeBtn = inFrame && h("button", { class: "ib", type: "button", "aria-label": "Close chat", onclick: () => toParent({ type: "close" }) }, "×");
  const banner = h("div", { class: "off", role: "status" });
  const announcer = h("div", { class: "sr", "aria-live": "polite" });
  const body = h("div", { class: "sc" });
  const foot = h("div", { class: "ft" });
  app.append(h("header", { class: "hd" }, backBtn, title, closeBtn), banner, body, foot, announcer);
  let composer = null, view = "", footFor = "", T = null;

  const say = (text) => (announcer.textContent = text);

  function paintHeader() {
    const c = S.config;
    title.textContent = c ? c.workspace_name : "";
    if (c && /^#[0-9a-f]{6}$/i.test(c.colour)) {
      root.style.setProperty("--accent", c.colour);
      root.style.setProperty("--on-accent", ink(c.colour));
    }
    backBtn.hidden = !(S.screen === "thread" || (S.screen === "start" && S.list && S.list.length));
  }

  function render() {
    paintHeader();
    const active = document.activeElement, key = active && active.dataset && active.dataset.k;
    let caret = null;
    try {
      if (key && typeof active.selectionStart === "number") caret = [active.selectionStart, active.selectionEnd];
    } catch {
      /* an email input has no caret to read */
    }
    const next = S.screen + (S.screen === "thread" ? S.thread.id : "");
    const stick = body.scrollHeight - body.scrollTop - body.clientHeight < 48, top = body.scrollTop;
    if (next === view && S.screen === "thread") updateThread();
    else {
      fill(body, screens[S.screen]());
      if (S.screen === "thread") updateThread();
    }
    body.scrollTop = S.screen === "thread" && (stick || next !== view) ? body.scrollHeight : next === view ? top : 0;
    view = next;
    // The composer is rebuilt only for another conversation, so a reply being typed (or composed
    // with an IME) is never interrupted by an arriving message.
    const t = S.thread, wants = S.screen === "thread" && t.status !== "closed" && !t.error ? t.id : "";
    if (wants !== footFor) {
      footFor = wants;
      fill(foot, wants && composerForm(t.id));
    }
    if (key) {
      const el = app.querySelector(`[data-k="${CSS.escape(key)}"]`);
      if (el && el !== document.activeElement) {
        el.focus({ preventScroll: true });
        try {
          if (caret) el.setSelectionRange(...caret);
        } catch {
          /* no caret on an email input */
        }
      }
    }
  }

  function focusField(key) {
    const el = app.querySelector(`[data-k="${key}"]`);
    if (el) el.focus();
  }

  function focusFirst() {
    if (S.screen === "thread" && composer && footFor) return composer.focus();
    const el = body.querySelector(".in:placeholder-shown, textarea.in, .row, .btn, .link");
    if (el) el.focus();
  }

  const greeting = () => (S.config ? h("p", { class: "greet" }, S.config.greeting) : h("div", { class: "sk" }));

  const screens = {
    loading: () => [greeting(), h("div", { class: "sk" }), h("div", { class: "sk short" })],
    start() {
      const c = S.config, v = S.visitor, identified = !!(v && v.identified);
      if (S.unavailable) return [h("p", { class: "calm" }, "Chat isn't available right now. Please try again later.")];
      if (c && c.identity_required && !identified)
        return [greeting(), h("p", { class: "calm" }, `Sign in on ${c.workspace_name}'s site to chat with us.`)];
      if (S.thanks)
        return [greeting(), h("div", { class: "calm" },
          h("p", { class: "big", tabindex: "-1", "data-k": "thanks" }, "Glad that helped!"),
          h("button", { class: "link", type: "button", onclick: newConversation }, "Write to us anyway"))];
      return [greeting(), h("form", { class: "form", novalidate: true, onsubmit: (e) => (e.preventDefault(), submitFirst()) },
        identified
          ? h("p", { class: "muted" }, `Signed in as ${v.email}`)
          : [field("name", "Your name", "input", { type: "text", autocomplete: "name" }),
             field("email", "Email", "input", { type: "email", autocomplete: "email" })],
        field("message", "Message", "textarea", {
          rows: 4,
          onkeydown: (e) => e.key === "Enter" && (e.ctrlKey || e.metaKey) && (e.preventDefault(), submitFirst()),
        }),
        answersBox,
        S.formError && h("p", { class: "alert", role: "alert" }, S.formError),
        h("button", { class: "btn primary", type: "submit", disabled: S.sending }, S.sending ? "Sending…" : "Send"),
        S.queued && h("p", { class: "hint" }, "We'll send it as soon as you're back online."))];
    },
    list: () => [
      h("div", { class: "lh" },
        h("h2", {}, "Your conversations"),
        h("button", { class: "btn primary", type: "button", "data-k": "new", onclick: newConversation }, "New conversation")),
      h("ul", { class: "list" }, S.list.map((c) => h("li", {},
        h("button", { class: "row" + (S.fresh.has(c.id) ? " fresh" : ""), type: "button", "data-k": "c" + c.id, onclick: () => openThread(c) },
          h("span", { class: "r1" }, h("span", { class: "subj" }, c.subject), pill(c.status)),
          h("span", { class: "r2" }, h("span", { class: "prev" }, c.preview), time(c.updated_at)),
          S.fresh.has(c.id) && h("span", { class: "sr" }, "New reply"))))),
    ],
    thread() {
      T = { head: h("div", { class: "th" }), log: h("ol", { class: "log", role: "log", "aria-label": "Messages" }), tail: h("div"), nodes: new Map() };
      return [T.head, T.log, T.tail];
    },
  };

  function field(name, label, tag, props) {
    const id = "f-" + name, error = S.fieldErrors[name];
    return h("div", { class: "field" },
      h("label", { for: id }, label),
      h(tag, {
        ...props, id, name, class: "in", "data-k": name, required: true, placeholder: " ", value: S.drafts[name],
        "aria-invalid": error ? "true" : null,
        "aria-describedby": error ? id + "-e" : null,
        oninput: (e) => {
          S.drafts[name] = e.target.value;
          if (name === "message") suggestSoon();
        },
      }),
      error && h("p", { class: "err", id: id + "-e" }, error));
  }

  // The log gains or loses only the nodes that changed, so a screen reader announces just what is new.
  function updateThread() {
    const t = S.thread;
    fill(T.head, 
      h("h2", {}, t.subject || (t.loading ? "" : "Conversation")),
      h("div", { class: "meta" }, t.number ? h("span", {}, "#" + t.number) : "", t.status && pill(t.status)),
      S.notice === t.id && h("p", { class: "notice" }, `We have your request #${t.number}. We'll reply here and by email.`));
    const want = t.loading ? [["sk", () => h("li", { class: "sk" })]] : [];
    for (const m of t.messages) want.push(["m" + m.id, () => bubble(m)]);
    for (const p of S.pending) if (p.conv === t.id) want.push(["p" + p.key + p.state + p.error, () => pendingBubble(p)]);
    const nodes = new Map();
    want.forEach(([key, make], i) => {
      const node = T.nodes.get(key) || make();
      nodes.set(key, node);
      if (T.log.children[i] !== node) T.log.insertBefore(node, T.log.children[i] || null);
    });
    while (T.log.children.length > want.length) T.log.lastChild.remove();
    T.nodes = nodes;
    fill(T.tail, 
      t.error ? h("p", { class: "alert", role: "alert" }, t.error) : "",
      t.status === "solved" && h("p", { class: "st" }, "Marked solved — reply to reopen"),
      t.status === "closed" && h("div", { class: "st" },
        h("p", {}, "This conversation is closed."),
        h("button", { class: "btn primary", type: "button", "data-k": "new", onclick: newConversation }, "New conversation")));
  }

  const bubble = (m) =>
    h("li", { class: "msg " + (m.from_team ? "team" : "me") },
      m.from_team && h("span", { class: "who" }, m.author_name),
      h("div", { class: "bub" }, m.from_team ? "" : h("span", { class: "sr" }, "You: "), ...linkify(m.body)),
      h("span", { class: "when" }, time(m.created_at)));

  const pendingBubble = (p) =>
    h("li", { class: "msg me pend" + (p.state === "failed" ? " fail" : "") },
      h("div", { class: "bub" }, ...linkify(p.body)),
      h("span", { class: "when" },
        p.state === "sending" ? "Sending…"
          : p.state === "waiting" ? "Waiting for a connection…"
          : [`Not sent: ${p.error} `,
             h("button", { class: "link", type: "button", onclick: () => deliver(p) }, "Retry"), " · ",
             h("button", { class: "link", type: "button", onclick: () => editFailed(p) }, "Edit")]));

  function grow(el) {
    el.style.height = "auto";
    el.style.height = Math.min(el.scrollHeight + 2, 160) + "px";
  }

  function composerForm(id) {
    composer = h("textarea", {
      class: "in", rows: 1, "data-k": "reply", "aria-label": "Your reply", placeholder: "Write a reply…",
      value: S.drafts.reply[id] || "",
      oninput: (e) => {
        S.drafts.reply[id] = e.target.value;
        grow(e.target);
      },
      onkeydown: (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) e.preventDefault(), sendReply();
      },
    });
    return [h("form", { class: "cmp", onsubmit: (e) => (e.preventDefault(), sendReply()) },
      composer, h("button", { class: "btn primary", type: "submit" }, "Send")),
      h("p", { class: "hint keys" }, "Enter to send, Shift+Enter for a new line")];
  }

  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && inFrame && !e.isComposing && !e.defaultPrevented) toParent({ type: "close" });
  });

  // ---- Start: paint from what we know, then ask the server ----
  render();
  loadConfig();
  loadVisitor();
})();
