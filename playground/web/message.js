// A message as Slack shows it: avatar, name, time, blocks or text, replies.

import { mrkdwn } from "./mrkdwn.js";
import { renderBlocks } from "./blocks.js";
import { el } from "./dom.js";

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

/** messageEl renders a message; onButton(message, button, element) handles
 * clicks and onThread(ts) opens its thread. */
export function messageEl(m, st, { inThread, onButton, onThread }) {
  const name = st.names[m.user] || m.user;
  const row = el("div", "message" + (m.ephemeral ? " is-ephemeral" : ""));
  row.dataset.testid = "message";
  row.dataset.ts = m.ts;
  const avatar = el("div", "avatar" + (m.isBot ? " bot" : ""), m.isBot ? "M" : initials(name));
  if (!m.isBot) avatar.style.background = avatarColor(m.user);
  row.appendChild(avatar);
  const content = el("div", "content");
  if (m.ephemeral) {
    const note = el("div", "ephemeral-note", "Only visible to you");
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
    onButton: (b, btn) => onButton(m, b, btn),
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
  for (const f of m.files || []) content.appendChild(fileEl(f));
  if (!inThread && m.replies?.length) {
    const link = el("button", "replies", `${m.replies.length} ${m.replies.length === 1 ? "reply" : "replies"}`);
    link.type = "button";
    link.addEventListener("click", () => onThread(m.ts));
    content.appendChild(link);
  }
  row.appendChild(content);
  return row;
}

/** fileEl renders a message's attached file as Slack does: a card with
 * the file's name and size that downloads it. */
function fileEl(f) {
  const a = el("a", "file");
  a.dataset.testid = "file";
  a.href = f.url;
  a.download = f.name;
  a.title = `Download ${f.name}`;
  a.appendChild(el("span", "file-icon", (f.name.split(".").pop() || "file").slice(0, 4).toUpperCase()));
  const text = el("span", "file-text");
  text.appendChild(el("span", "file-name", f.title || f.name));
  text.appendChild(el("span", "file-size", `${sizeOf(f.size)} · click to download`));
  a.appendChild(text);
  return a;
}

function sizeOf(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
