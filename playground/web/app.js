// The playground page: a Slack-like #incident channel over the fake workspace.

import { renderBlocks } from "./blocks.js";
import { el, syncList } from "./dom.js";
import { messageEl } from "./message.js";
import { showConfirm, showModal } from "./dialogs.js";
import { setLinks } from "./mrkdwn.js";

const $ = (id) => document.getElementById(id);

const page = {
  user: "",
  state: null,
  view: "channel", // or "home" or "messages" (the App Home's tabs)
  threadTS: "", // the open thread's parent ts
  modalKey: "", // id + JSON of the rendered modal, to keep typed input
  fetchSeq: 0,
  channelCache: new Map(), // ts → { key, node } of the channel's message elements
  threadCache: new Map(),
  threadReplies: new Map(),
  homeKey: "", // id + JSON of the rendered Home tab
  dmCache: new Map(),
  dmSeen: new Map(), // user → how many DM messages they have seen
};

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
  if (location.hash) goTo();
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
  renderExamples(st);
  const status = $("bot-status");
  status.textContent = st.botConnected ? "● mdebot connected" : "○ mdebot not connected";
  status.className = "bot-status " + (st.botConnected ? "online" : "offline");
  $("nav-channel").classList.toggle("active", page.view === "channel");
  $("nav-home").classList.toggle("active", page.view !== "channel");
  if (page.view === "messages") page.dmSeen.set(page.user, st.dm.messages.length);
  const unread = st.dm.messages.length - (page.dmSeen.get(page.user) ?? 0);
  const badge = $("dm-badge");
  badge.textContent = unread > 0 ? String(unread) : "";
  badge.hidden = unread <= 0;
  if (page.view === "channel") renderChannel(st);
  else renderAppHome(st);
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

function renderExamples(st) {
  const ul = $("examples");
  if (ul.childElementCount === st.examples.length) return;
  ul.replaceChildren();
  for (const ex of st.examples) {
    const li = el("li");
    const b = el("button", "example", ex.command);
    b.type = "button";
    b.title = `${ex.note} (click to put it in the message box)`;
    b.addEventListener("click", () => {
      page.view = "channel";
      render();
      const box = $("composer");
      box.value = ex.command;
      box.focus();
      hint(ex.note, false);
    });
    li.appendChild(b);
    ul.appendChild(li);
  }
}

function ensureChannelPane() {
  const home = document.querySelector("[data-testid=app-home]");
  if (home) home.remove();
  page.homeKey = "";
  page.dmCache = new Map();
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
    page.channelCache = syncList(list, st.messages, page.channelCache, (m) => messageEl(m, st, { inThread: false, onButton: clickButton, onThread: openThread }));
  }
  if (atBottom || !page.rendered) list.scrollTop = list.scrollHeight;
  page.rendered = true;
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
    page.threadCache, (m) => messageEl(m, st, { inThread: true, onButton: clickButton, onThread: openThread }));
  pane.querySelector(".thread-sep").replaceChildren(el("span", "", `${n} ${n === 1 ? "reply" : "replies"}`));
  page.threadReplies = syncList(pane.querySelector(".thread-replies"), parent.replies || [],
    page.threadReplies || new Map(), (m) => messageEl(m, st, { inThread: true, onButton: clickButton, onThread: openThread }));
  if (atBottom) body.scrollTop = body.scrollHeight;
}

// renderAppHome shows the app's App Home: its Home tab (what the bot
// published for the user) or its Messages tab (the user's DM with the bot).
function renderAppHome(st) {
  $("channel-pane").hidden = true;
  let home = document.querySelector("[data-testid=app-home]");
  if (!home) {
    page.homeKey = "";
    page.dmCache = new Map();
    home = el("section", "pane app-home");
    home.dataset.testid = "app-home";
    const head = el("div", "pane-header");
    head.appendChild(el("span", "pane-title", "mdebot"));
    const tabs = el("div", "tabs");
    tabs.setAttribute("role", "tablist");
    for (const [view, label] of [["home", "Home"], ["messages", "Messages"]]) {
      const t = el("button", "tab", label);
      t.type = "button";
      t.dataset.view = view;
      t.dataset.testid = "tab-" + view;
      t.setAttribute("role", "tab");
      t.addEventListener("click", () => (view === "home" ? openHome() : openMessages()));
      tabs.appendChild(t);
    }
    head.appendChild(tabs);
    home.appendChild(head);
    const hintLine = el("div", "home-hint");
    hintLine.id = "home-hint";
    hintLine.setAttribute("role", "status");
    home.append(el("div", "home-body"), hintLine);
    $("main").appendChild(home);
  }
  for (const t of home.querySelectorAll(".tab")) {
    t.classList.toggle("active", t.dataset.view === page.view);
    t.setAttribute("aria-selected", String(t.dataset.view === page.view));
  }
  if (page.view === "messages") renderMessagesTab(st, home);
  else renderHomeTab(st, home);
}

function renderHomeTab(st, home) {
  home.querySelector(".dm-readonly")?.remove();
  const key = "home" + (st.home ? st.home.id + JSON.stringify(st.home.view) : "") + st.botConnected;
  if (key === page.homeKey) return;
  page.homeKey = key;
  page.dmCache = new Map();
  const body = home.querySelector(".home-body");
  body.className = "home-body";
  body.replaceChildren();
  if (st.home) {
    body.appendChild(renderBlocks(st.home.view.blocks, {
      names: st.names, people: st.people,
      onButton: (b, btn) => clickViewButton(st.home.id, b, btn),
      onSelect: (e, value, sel) => selectOption(st.home.id, e, value, sel),
    }));
  } else {
    body.appendChild(el("div", "empty", st.botConnected
      ? "mdebot has not published a Home tab for you yet."
      : "mdebot is not connected, so its Home tab is empty."));
  }
}

function renderMessagesTab(st, home) {
  const body = home.querySelector(".home-body");
  if (!page.homeKey.startsWith("messages")) {
    body.className = "home-body messages dm";
    body.replaceChildren();
    page.dmCache = new Map();
  }
  page.homeKey = "messages";
  const atBottom = body.scrollHeight - body.scrollTop - body.clientHeight < 40;
  if (!st.dm.messages.length) {
    page.dmCache = new Map();
    const empty = el("div", "empty");
    empty.appendChild(el("div", "empty-title", "This is your direct message with mdebot"));
    empty.appendChild(el("div", "", "mdebot writes here when your requests are decided or finish, and sends /mde export's files here."));
    body.replaceChildren(empty);
  } else {
    if (!page.dmCache.size) body.replaceChildren();
    page.dmCache = syncList(body, st.dm.messages, page.dmCache,
      (m) => messageEl(m, st, { inThread: false, onButton: (msg, b, btn) => clickButton(msg, b, btn, st.dm.id), onThread: () => {} }));
  }
  let note = home.querySelector(".dm-readonly");
  if (!note) {
    note = el("div", "dm-readonly", "Sending messages to this app has been turned off: mdebot only writes to you here. Use /mde in #incident.");
    home.insertBefore(note, home.querySelector(".home-hint"));
  }
  if (atBottom || !body.dataset.rendered) body.scrollTop = body.scrollHeight;
  body.dataset.rendered = "1";
}

// ---- interactions ----

function clickButton(m, b, btn, channel) {
  const go = async () => {
    btn.disabled = true;
    const out = await api("/api/click", { channel: channel || page.state.channel.id, ts: m.ts, actionId: b.action_id, value: b.value || "" });
    btn.disabled = false;
    if (out.error) hint(out.error, true);
    if (b.url && /^https:\/\//i.test(b.url)) window.open(b.url, "_blank", "noopener,noreferrer");
    scheduleRefresh();
  };
  if (b.confirm) showConfirm(b.confirm, page.state.names, go);
  else go();
}

// clickViewButton clicks a button of the view viewId (the Home tab), after
// its confirm dialog if it has one, as Slack does.
function clickViewButton(viewId, b, btn) {
  const go = async () => {
    btn.disabled = true;
    const out = await api("/api/viewclick", { viewId, actionId: b.action_id, value: b.value || "" });
    btn.disabled = false;
    if (out.error) hint(out.error, true);
    scheduleRefresh();
  };
  if (b.confirm) showConfirm(b.confirm, page.state.names, go);
  else go();
}

// selectOption picks value in the select e of the view viewId.
async function selectOption(viewId, e, value, sel) {
  sel.disabled = true;
  const out = await api("/api/select", { viewId, actionId: e.action_id, value });
  sel.disabled = false;
  if (out.error) hint(out.error, true);
  scheduleRefresh();
}

function renderModal(st) {
  const key = st.modal ? st.modal.id + JSON.stringify(st.modal.view) : "";
  if (key === page.modalKey) return;
  page.modalKey = key;
  showModal(st, api, scheduleRefresh);
}

function hint(text, isError) {
  for (const h of [$("composer-hint"), $("home-hint")]) {
    if (!h) continue;
    h.textContent = text;
    h.classList.toggle("error", !!isError);
  }
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
  hint("");
  if (page.state) render();
  const out = await api("/api/home", {});
  if (out.error) hint(out.error, true);
  scheduleRefresh();
}

function openMessages() {
  page.view = "messages";
  page.threadTS = "";
  hint("");
  if (page.state) render();
}

// rewriteLink keeps the page's own links inside it: a collected package's
// link downloads it from the page, and a link to a message of the
// workspace (a permalink) becomes #<channel>/<ts>, which goTo follows.
function rewriteLink(url) {
  const st = page.state;
  if (!st) return null;
  const local = st.links?.[url];
  if (local) return { href: local, download: true };
  const base = st.workspaceUrl + "/archives/";
  if (!url.startsWith(base)) return null;
  const m = /^([A-Z0-9]+)\/p(\d{10})(\d{6})(?:\?(.*))?$/.exec(url.slice(base.length));
  if (!m) return null;
  const thread = new URLSearchParams(m[4] || "").get("thread_ts");
  return { href: `#${m[1]}/${thread || m[2] + "." + m[3]}` };
}

// goTo follows a #<channel>/<ts> link: the channel's message opens in its
// thread (a reply in its parent's), a DM message shows in Messages.
function goTo() {
  const m = /^#([A-Z0-9]+)\/([0-9.]+)$/.exec(location.hash);
  if (!m || !page.state) return;
  history.replaceState(null, "", location.pathname + location.search);
  const [, channel, ts] = m;
  const st = page.state;
  if (channel === st.dm.id) {
    openMessages();
    return;
  }
  if (channel !== st.channel.id) return;
  const parent = st.messages.find((x) => x.ts === ts || (x.replies || []).some((r) => r.ts === ts));
  page.view = "channel";
  page.threadTS = parent ? parent.ts : ""; // the link says "Open the thread"
  render();
  const node = document.querySelector(`#messages [data-ts="${CSS.escape(parent ? parent.ts : ts)}"]`);
  if (node) node.scrollIntoView({ block: "center" });
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
  page.homeKey = "";
  page.dmCache = new Map();
  hint("");
  if (page.view === "home") openHome();
  refresh();
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
  setLinks(rewriteLink);
  window.addEventListener("hashchange", goTo);
  const events = new EventSource("/events");
  events.addEventListener("hello", scheduleRefresh);
  events.addEventListener("update", scheduleRefresh);
  refresh();
}

start();
