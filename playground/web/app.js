// The playground page: a Slack-like #incident channel over the fake workspace.

import { mrkdwn, plainText } from "./mrkdwn.js";
import { renderBlocks, confirmParts } from "./blocks.js";

const $ = (id) => document.getElementById(id);

const page = {
  user: "",
  state: null,
  view: "channel", // or "home"
  threadTS: "", // the open thread's parent ts
  modalKey: "", // id + JSON of the rendered modal, to keep typed input
  fetchSeq: 0,
  channelCache: new Map(), // ts → { key, node } of the channel's message elements
  threadCache: new Map(),
  threadReplies: new Map(),
};

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

async function api(path, body) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: page.user, ...body }),
  });
  let out = {};
  try {
    out = await res.json();
  } catch {
    out = { error: `HTTP ${res.status}` };
  }
  if (!res.ok && !out.error) out.error = `HTTP ${res.status}`;
  return out;
}

async function refresh() {
  const seq = ++page.fetchSeq;
  const res = await fetch(`/api/state?user=${encodeURIComponent(page.user)}`);
  if (res.status === 400 && page.user !== "U0RESPOND1") {
    setUser("U0RESPOND1"); // an unknown ?user= falls back to the responder
    return;
  }
  if (!res.ok || seq !== page.fetchSeq) return;
  const st = await res.json();
  if (seq !== page.fetchSeq) return;
  page.state = st;
  render();
}

let refreshTimer = 0;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 40);
}

// ---- rendering ----

function render() {
  const st = page.state;
  renderSwitcher(st);
  renderTenant(st);
  const status = $("bot-status");
  status.textContent = st.botConnected ? "● mdebot connected" : "○ mdebot not connected";
  status.className = "bot-status " + (st.botConnected ? "online" : "offline");
  $("nav-channel").classList.toggle("active", page.view === "channel");
  $("nav-home").classList.toggle("active", page.view === "home");
  if (page.view === "home") renderHome(st);
  else renderChannel(st);
  renderThread(st);
  renderModal(st);
}

function renderSwitcher(st) {
  const sel = $("user-switcher");
  if (sel.options.length !== st.people.length) {
    sel.replaceChildren();
    for (const p of st.people) {
      const o = el("option", "", `${p.realName} (${p.role})`);
      o.value = p.id;
      sel.appendChild(o);
    }
  }
  sel.value = page.user;
}

function renderTenant(st) {
  const ul = $("tenant-actions");
  ul.replaceChildren();
  if (!st.actions?.length) {
    ul.appendChild(el("li", "tenant-empty", "No machine actions yet"));
    return;
  }
  for (const a of st.actions) {
    const li = el("li", "tenant-action status-" + a.status.toLowerCase());
    li.appendChild(el("span", "tenant-dot"));
    li.appendChild(el("span", "tenant-type", a.type));
    li.appendChild(el("span", "tenant-machine", a.machine.split(".")[0]));
    li.appendChild(el("span", "tenant-status", a.status));
    li.title = `${a.type} on ${a.machine}: ${a.status}${a.error ? " (" + a.error + ")" : ""}`;
    ul.appendChild(li);
  }
}

function ensureChannelPane() {
  const home = document.querySelector("[data-testid=app-home]");
  if (home) home.remove();
  $("channel-pane").hidden = false;
}

function renderChannel(st) {
  ensureChannelPane();
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  if (!st.messages.length) {
    page.channelCache = new Map();
    const empty = el("div", "empty");
    empty.appendChild(el("div", "empty-title", "This is the very beginning of #incident"));
    empty.appendChild(el("div", "", "Type /mde help below to start. Switch people with the menu at the top right."));
    list.replaceChildren(empty);
  } else {
    if (!page.channelCache.size) list.replaceChildren();
    page.channelCache = syncList(list, st.messages, page.channelCache, (m) => messageEl(m, st, { inThread: false }));
  }
  if (atBottom || !page.rendered) list.scrollTop = list.scrollHeight;
  page.rendered = true;
}

// syncList makes container's children the rendered items, reusing the node
// of every item whose content did not change, so that the DOM stays stable
// (focus, hover and a pending click survive an update).
function syncList(container, items, cache, build) {
  const next = new Map();
  const nodes = items.map((m) => {
    const key = JSON.stringify(m);
    const hit = cache.get(m.ts);
    const node = hit && hit.key === key ? hit.node : build(m);
    next.set(m.ts, { key, node });
    return node;
  });
  nodes.forEach((node, i) => {
    if (container.children[i] !== node) container.insertBefore(node, container.children[i] || null);
  });
  while (container.children.length > nodes.length) container.lastElementChild.remove();
  return next;
}

function initials(name) {
  return name.split(/\s+/).map((w) => w[0] || "").join("").slice(0, 2).toUpperCase();
}

const AVATAR_COLORS = ["#e8912d", "#2bac76", "#1264a3", "#cd2553", "#8d4fa8", "#4a154b"];
function avatarColor(id) {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return AVATAR_COLORS[h % AVATAR_COLORS.length];
}

function timeOf(ts) {
  const d = new Date(Number(ts) * 1000);
  return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

function messageEl(m, st, { inThread }) {
  const name = st.names[m.user] || m.user;
  const row = el("div", "message" + (m.ephemeral ? " is-ephemeral" : ""));
  row.dataset.testid = "message";
  row.dataset.ts = m.ts;
  const avatar = el("div", "avatar" + (m.isBot ? " bot" : ""), m.isBot ? "M" : initials(name));
  if (!m.isBot) avatar.style.background = avatarColor(m.user);
  row.appendChild(avatar);
  const content = el("div", "content");
  if (m.ephemeral) {
    const note = el("div", "ephemeral-note", "👁 Only visible to you");
    note.dataset.testid = "ephemeral";
    content.appendChild(note);
  }
  const meta = el("div", "meta");
  meta.appendChild(el("span", "name", name));
  if (m.isBot) meta.appendChild(el("span", "app-badge", "APP"));
  const time = el("span", "time", timeOf(m.ts));
  time.title = new Date(Number(m.ts) * 1000).toLocaleString();
  meta.appendChild(time);
  content.appendChild(meta);
  const body = el("div", "body");
  const ctx = {
    names: st.names,
    people: st.people,
    onButton: (b, btn) => clickButton(m, b, btn),
  };
  if (m.blocks && m.blocks.length) body.appendChild(renderBlocks(m.blocks, ctx));
  else body.appendChild(mrkdwn(m.text, st.names));
  if (m.edited) {
    // Slack shows "(edited)" right after the text, not on a line of its own.
    const texts = body.querySelectorAll(".blocks > .b-section .b-text, .blocks > .b-context");
    const last = body.querySelector(".blocks")?.lastElementChild;
    const target = last && [...texts].find((t) => last.contains(t)) ? [...texts].pop() : body;
    target.appendChild(el("span", "edited", "(edited)"));
  }
  content.appendChild(body);
  if (!inThread && m.replies?.length) {
    const link = el("button", "replies", `${m.replies.length} ${m.replies.length === 1 ? "reply" : "replies"}`);
    link.type = "button";
    link.addEventListener("click", () => openThread(m.ts));
    content.appendChild(link);
  }
  row.appendChild(content);
  return row;
}

function findMessage(st, ts) {
  for (const m of st.messages) {
    if (m.ts === ts) return m;
  }
  return null;
}

function openThread(ts) {
  page.threadTS = ts;
  render();
}

function renderThread(st) {
  let pane = document.querySelector("[data-testid=thread]");
  const parent = page.threadTS && page.view === "channel" ? findMessage(st, page.threadTS) : null;
  if (!parent) {
    if (pane) pane.remove();
    page.threadCache = new Map();
    page.threadReplies = new Map();
    return;
  }
  if (!pane || pane.dataset.ts !== parent.ts) {
    if (pane) pane.remove();
    page.threadCache = new Map();
    page.threadReplies = new Map();
    pane = el("aside", "thread");
    pane.dataset.testid = "thread";
    pane.dataset.ts = parent.ts;
    const head = el("div", "pane-header");
    head.appendChild(el("span", "pane-title", "Thread"));
    head.appendChild(el("span", "pane-topic", "# " + st.channel.name));
    const close = el("button", "close-x", "×");
    close.type = "button";
    close.title = "Close thread";
    close.addEventListener("click", () => {
      page.threadTS = "";
      render();
    });
    head.appendChild(close);
    pane.appendChild(head);
    const body = el("div", "thread-body");
    body.append(el("div", "thread-parent"), el("div", "thread-sep"), el("div", "thread-replies"));
    pane.appendChild(body);
    document.querySelector(".app").appendChild(pane);
  }
  const body = pane.querySelector(".thread-body");
  const atBottom = body.scrollHeight - body.scrollTop - body.clientHeight < 40;
  const n = parent.replies?.length || 0;
  page.threadCache = syncList(pane.querySelector(".thread-parent"), [{ ...parent, replies: undefined }],
    page.threadCache, (m) => messageEl(m, st, { inThread: true }));
  pane.querySelector(".thread-sep").replaceChildren(el("span", "", `${n} ${n === 1 ? "reply" : "replies"}`));
  page.threadReplies = syncList(pane.querySelector(".thread-replies"), parent.replies || [],
    page.threadReplies || new Map(), (m) => messageEl(m, st, { inThread: true }));
  if (atBottom) body.scrollTop = body.scrollHeight;
}

function renderHome(st) {
  $("channel-pane").hidden = true;
  let home = document.querySelector("[data-testid=app-home]");
  if (!home) {
    home = el("section", "pane app-home");
    home.dataset.testid = "app-home";
    $("main").appendChild(home);
  }
  home.replaceChildren();
  const head = el("div", "pane-header");
  head.appendChild(el("span", "pane-title", "mdebot"));
  head.appendChild(el("span", "pane-topic", "Home"));
  home.appendChild(head);
  const body = el("div", "home-body");
  if (st.home) {
    body.appendChild(renderBlocks(st.home.view.blocks, { names: st.names, people: st.people, onButton: null }));
  } else {
    body.appendChild(el("div", "empty", st.botConnected
      ? "mdebot has not published a Home tab for you yet."
      : "mdebot is not connected, so its Home tab is empty."));
  }
  home.appendChild(body);
}

// ---- interactions ----

function clickButton(m, b, btn) {
  const go = async () => {
    btn.disabled = true;
    const out = await api("/api/click", { channel: page.state.channel.id, ts: m.ts, actionId: b.action_id, value: b.value || "" });
    btn.disabled = false;
    if (out.error) hint(out.error, true);
    if (b.url && /^https:\/\//i.test(b.url)) window.open(b.url, "_blank", "noopener,noreferrer");
    scheduleRefresh();
  };
  if (b.confirm) showConfirm(b.confirm, go);
  else go();
}

function showConfirm(c, onConfirm) {
  const parts = confirmParts(c, page.state.names);
  const backdrop = el("div", "backdrop");
  const dlg = el("div", "dialog confirm-dialog");
  dlg.setAttribute("role", "alertdialog");
  dlg.appendChild(el("h2", "dialog-title", parts.title));
  const text = el("div", "dialog-text");
  text.appendChild(parts.text);
  dlg.appendChild(text);
  const foot = el("div", "dialog-foot");
  const deny = el("button", "b-button", parts.deny);
  deny.type = "button";
  const ok = el("button", "b-button " + parts.style, parts.confirm);
  ok.type = "button";
  ok.dataset.testid = "confirm";
  const done = () => backdrop.remove();
  deny.addEventListener("click", done);
  ok.addEventListener("click", () => {
    done();
    onConfirm();
  });
  backdrop.addEventListener("keydown", (e) => {
    if (e.key === "Escape") done();
  });
  foot.append(deny, ok);
  dlg.appendChild(foot);
  backdrop.appendChild(dlg);
  $("overlays").appendChild(backdrop);
  ok.focus();
}

function renderModal(st) {
  const key = st.modal ? st.modal.id + JSON.stringify(st.modal.view) : "";
  if (key === page.modalKey) return;
  page.modalKey = key;
  const old = document.querySelector(".modal-backdrop");
  if (old) old.remove();
  if (!st.modal) return;
  const view = st.modal.view;
  const viewID = st.modal.id;
  const backdrop = el("div", "backdrop modal-backdrop");
  const dlg = el("div", "dialog modal");
  dlg.dataset.testid = "modal";
  dlg.setAttribute("role", "dialog");
  const head = el("div", "modal-head");
  head.appendChild(el("h2", "dialog-title", plainText(view.title)));
  const x = el("button", "close-x", "×");
  x.type = "button";
  x.title = "Close";
  head.appendChild(x);
  dlg.appendChild(head);
  const inputs = [];
  const body = el("div", "modal-body");
  body.appendChild(renderBlocks(view.blocks, { names: st.names, people: st.people, onButton: null, inputs }));
  dlg.appendChild(body);
  const error = el("div", "modal-error");
  dlg.appendChild(error);
  const foot = el("div", "dialog-foot");
  const close = async () => {
    await api("/api/close", { viewId: viewID });
    scheduleRefresh();
  };
  x.addEventListener("click", close);
  const closeBtn = el("button", "b-button", plainText(view.close) || "Cancel");
  closeBtn.type = "button";
  closeBtn.addEventListener("click", close);
  foot.appendChild(closeBtn);
  if (view.submit) {
    const submit = el("button", "b-button primary", plainText(view.submit));
    submit.type = "button";
    submit.addEventListener("click", async () => {
      const values = {};
      let missing = false;
      error.textContent = "";
      for (const i of inputs) {
        const v = i.value();
        i.error.textContent = !v && !i.optional ? "Please fill out this field." : "";
        missing ||= !v && !i.optional;
        (values[i.blockId] ||= {})[i.actionId] = v;
      }
      if (missing) return;
      submit.disabled = true;
      const out = await api("/api/submit", { viewId: viewID, values });
      submit.disabled = false;
      if (out.error) error.textContent = out.error;
      for (const [blockId, msg] of Object.entries(out.errors || {})) {
        const i = inputs.find((x) => x.blockId === blockId);
        if (i) i.error.textContent = msg;
        else error.textContent = msg;
      }
      scheduleRefresh();
    });
    foot.appendChild(submit);
  }
  dlg.appendChild(foot);
  backdrop.appendChild(dlg);
  $("overlays").prepend(backdrop);
}

function hint(text, isError) {
  const h = $("composer-hint");
  h.textContent = text;
  h.classList.toggle("error", !!isError);
}

async function send() {
  const box = $("composer");
  const text = box.value.trim();
  if (!text) return;
  box.value = "";
  hint("");
  const out = await api("/api/command", { text });
  if (out.hint) hint(out.hint, false);
  if (out.error) {
    hint(out.error, true);
    box.value = text;
  }
  scheduleRefresh();
}

async function openHome() {
  page.view = "home";
  page.threadTS = "";
  render();
  const out = await api("/api/home", {});
  if (out.error) hint(out.error, true);
  scheduleRefresh();
}

function setUser(id) {
  page.user = id;
  page.threadTS = "";
  page.modalKey = "\u0000"; // force the modal (another user's) to re-render
  page.channelCache = new Map();
  page.threadReplies = new Map();
  localStorage.setItem("mdebot-playground-user", id);
  const url = new URL(location.href);
  url.searchParams.set("user", id);
  history.replaceState(null, "", url);
  hint("");
  if (page.view === "home") openHome();
  else refresh();
}

function start() {
  const fromURL = new URL(location.href).searchParams.get("user");
  page.user = fromURL || localStorage.getItem("mdebot-playground-user") || "U0RESPOND1";
  $("composer").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });
  $("user-switcher").addEventListener("change", (e) => setUser(e.target.value));
  $("nav-channel").addEventListener("click", () => {
    page.view = "channel";
    render();
  });
  $("nav-home").addEventListener("click", openHome);
  const events = new EventSource("/events");
  events.addEventListener("hello", scheduleRefresh);
  events.addEventListener("update", scheduleRefresh);
  refresh();
}

start();
