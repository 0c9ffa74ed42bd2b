/* Ferrodesk widget loader: <script src="https://<ferrodesk>/widget.js" data-workspace="acme" async></script>
 * A launcher in a shadow root (the page's CSS cannot reach it; open, so assistive tech and test tools can) and, on first use, an iframe from
 * Ferrodesk holding the conversation. Plain JS, no build step: keep it well under 5 KB gzipped. */
(() => {
  "use strict";
  const W = window, D = document, NS = "http://www.w3.org/2000/svg", prev = W.Ferrodesk;
  if (prev && prev.loaded) return; // pasted twice: the first copy runs the show
  const warn = (m) => console.warn("Ferrodesk: " + m);
  // currentScript is null when read later; the fallback finds our tag by its path.
  const me = D.currentScript || [...D.scripts].reverse().find((s) => /\/widget\.js([?#]|$)/.test(s.src));
  const origin = me && new URL(me.src).origin, slug = me && me.dataset.workspace;
  let cfg, host, btn, badge, panel, frame, pending, identCb;
  let ready = false, isOpen = false, wantOpen = false, dead = false;

  const el = (tag, cls, parent) => {
    const e = D.createElement(tag);
    e.className = cls;
    parent.append(e);
    return e;
  };
  const post = (msg) => frame.contentWindow.postMessage({ source: "ferrodesk", ...msg }, origin);

  // WCAG luminance: the label is white or near-black, whichever contrasts more (#050505 keeps even
  // the worst-case mid grey at 4.5:1).
  const ink = (hex) => {
    const l = [1, 3, 5].reduce((sum, i, k) => {
      const c = parseInt(hex.substr(i, 2), 16) / 255;
      return sum + [0.2126, 0.7152, 0.0722][k] * (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    }, 0);
    return 1.05 / (l + 0.05) >= (l + 0.05) / 0.0515 ? "#fff" : "#050505";
  };

  const CSS = `*{box-sizing:border-box}
.l{position:fixed;z-index:2147483000;bottom:20px;right:20px;display:flex;align-items:center;gap:8px;height:48px;margin:0;
padding:0 18px 0 14px;border:0;border-radius:24px;font:600 15px/1 system-ui,sans-serif;cursor:pointer;
box-shadow:0 2px 6px rgba(0,0,0,.2),0 8px 24px rgba(0,0,0,.14);transition:transform .15s}
.l:hover{transform:translateY(-1px)}
.l:focus-visible{outline:0;box-shadow:0 0 0 2px #fff,0 0 0 4px #111}
svg{width:20px;height:20px;fill:currentColor}
.b{position:absolute;top:-5px;right:-5px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;background:#c4320a;
color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center;box-shadow:0 0 0 2px #fff}
.b[hidden]{display:none}
.p{position:fixed;z-index:2147483001;bottom:84px;right:20px;width:380px;height:600px;max-height:calc(100vh - 104px);
border-radius:12px;overflow:hidden;color-scheme:light dark;background:Canvas;
box-shadow:0 0 0 1px rgba(0,0,0,.08),0 12px 40px rgba(0,0,0,.24);opacity:0;transform:translateY(12px) scale(.98);
transform-origin:bottom right;visibility:hidden;transition:opacity .2s,transform .2s,visibility 0s .2s}
.p.o{opacity:1;transform:none;visibility:visible;transition-delay:0s}
.L .l,.L .p{right:auto;left:20px;transform-origin:bottom left}
iframe{display:block;width:100%;height:100%;border:0}
@media (max-width:480px){.p,.L .p{inset:0;width:auto;height:auto;max-height:none;border-radius:0}}
@media (prefers-reduced-motion:reduce){.l,.p{transition:none}}`;

  function mount() {
    if (!D.body) return D.addEventListener("DOMContentLoaded", mount, { once: true });
    // A tag no site styles, reset inline so that no `*` or attribute rule of the page reaches it.
    host = D.createElement("ferrodesk-widget");
    host.style.setProperty("all", "initial", "important");
    const root = host.attachShadow({ mode: "open" }), wrap = el("div", cfg.position === "bottom_left" ? "L" : "", root);
    // A constructed sheet is no inline <style>: a strict style-src on the page does not block it.
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch {
      el("style", "", root).textContent = CSS;
    }
    panel = el("div", "p", wrap);
    btn = el("button", "l", wrap);
    btn.type = "button";
    btn.style.background = cfg.colour;
    btn.style.color = ink(cfg.colour);
    btn.setAttribute("aria-expanded", false);
    // Built node by node: a page that enforces Trusted Types refuses innerHTML.
    const svg = D.createElementNS(NS, "svg"), path = D.createElementNS(NS, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", true);
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    svg.append(path);
    btn.append(svg, cfg.label);
    badge = el("span", "b", btn);
    badge.setAttribute("aria-hidden", true);
    setBadge(0);
    btn.addEventListener("click", () => toggle(!isOpen));
    D.body.append(host);
    if (pending) ensureFrame();
    if (wantOpen) toggle(true);
  }

  function setBadge(n) {
    badge.textContent = n > 9 ? "9+" : n;
    badge.hidden = !n;
    btn.setAttribute("aria-label", `${cfg.label}: support chat${n ? `, ${n} unread` : ""}`);
  }

  // Made once and kept (hidden when closed), so the conversation and its socket survive closing.
  function ensureFrame() {
    if (frame) return;
    frame = D.createElement("iframe");
    frame.title = "Support chat";
    frame.src = `${origin}/widget/${encodeURIComponent(slug)}`;
    frame.addEventListener("load", () => {
      ready = false;
      post({ type: "hello" });
    });
    panel.append(frame);
  }

  function toggle(open) {
    if (dead) return;
    if (!host) return void (wantOpen = open); // before the config arrives
    if (!host.isConnected) D.body.append(host); // a single-page app replaced the body
    ensureFrame();
    if (open === isOpen) return;
    isOpen = open;
    panel.classList.toggle("o", open);
    btn.setAttribute("aria-expanded", open);
    if (ready) post({ type: open ? "open" : "closed" });
    if (open) frame.focus();
    else if (D.activeElement === host) btn.focus();
  }

  // identify and logout wait for the iframe's `ready`; the latest one wins.
  function send(msg) {
    if (dead) return;
    pending = msg;
    if (ready) post(msg), (pending = null);
    else if (host) ensureFrame();
  }

  W.addEventListener("message", (e) => {
    const d = e.data;
    if (!frame || e.source !== frame.contentWindow || e.origin !== origin) return;
    if (!d || typeof d !== "object" || d.source !== "ferrodesk") return;
    if (d.type === "ready") {
      ready = true;
      post({ type: isOpen ? "open" : "closed" });
      if (pending) send(pending);
    } else if (d.type === "unread" && Number.isInteger(d.count) && d.count >= 0) setBadge(d.count);
    else if (d.type === "close") toggle(false);
    else if (d.type === "identified" && typeof d.ok === "boolean" && ["undefined", "string"].includes(typeof d.message)) {
      const cb = identCb;
      identCb = null;
      if (cb) cb(d.ok ? { ok: true } : { ok: false, message: d.message || "" });
    }
  });

  D.addEventListener("keydown", (e) => e.key === "Escape" && isOpen && toggle(false));

  const cmds = {
    open: () => toggle(true),
    close: () => toggle(false),
    toggle: () => toggle(!isOpen),
    identify(token, cb) {
      if (typeof token !== "string" || !token) return warn("identify(token) needs the token your server signed.");
      identCb = typeof cb === "function" ? cb : null;
      if (dead) return fail();
      send({ type: "identify", token });
    },
    logout() {
      identCb = null;
      send({ type: "logout" });
    },
  };
  // Callable too, for a stub like `Ferrodesk = function () { (Ferrodesk.q = Ferrodesk.q || []).push(arguments) }`.
  const api = (name, ...args) => (cmds.hasOwnProperty(name) ? cmds[name](...args) : warn(`no call "${name}".`));
  W.Ferrodesk = Object.assign(api, cmds, { loaded: true });

  function fail(why) {
    if (why) warn(why);
    dead = true;
    if (identCb) identCb({ ok: false, message: "The support widget is not available." });
    identCb = null;
  }
  if (!me || !slug) fail('add data-workspace="<your workspace>" to the widget.js script tag.');
  else
    fetch(`${origin}/api/v1/widget/${encodeURIComponent(slug)}/config`, { credentials: "omit" })
      .then((r) => (r.status === 200 ? r.json() : Promise.reject(r.status)))
      .then((c) => {
        cfg = c;
        if (!/^#[0-9a-f]{6}$/i.test(c.colour)) c.colour = "#3451d1";
        if (typeof c.label !== "string" || !c.label) c.label = "Help";
        mount();
      }, (s) => fail(s === 404 ? `the widget of workspace "${slug}" is switched off or does not exist.`
        : s === 403 ? `${location.origin} is not one of workspace "${slug}"'s allowed origins (Settings, Widget).`
        : typeof s === "number" ? `the widget's settings did not load (HTTP ${s}).`
        : `could not reach ${origin}, or it refused this page's origin (${location.origin}).`));

  // Replay what the page queued before we loaded.
  if (prev && Array.isArray(prev.q)) prev.q.forEach((c) => api(...Array.from(c)));
})();
