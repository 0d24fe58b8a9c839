// Slack mrkdwn and plain_text to DOM nodes. Everything is built with
// createElement and textContent: no string from a message ever becomes HTML.

// EMOJI maps each Slack shortcode the page knows to [emoji, fallback]. The
// fallback is one character that common text fonts (DejaVu Sans, Segoe UI
// Symbol, Menlo) have, shown where no colour-emoji font is installed, so
// the page stays readable there; the span around it is coloured by CSS
// (.e-red_circle…) and titled with the shortcode. Every shortcode the bot
// uses must be here (a Go test reads this table).
export const EMOJI = {
  white_check_mark: ["✅", "✔"],
  heavy_check_mark: ["✔️", "✔"],
  x: ["❌", "✖"],
  heavy_multiplication_x: ["✖️", "✖"],
  warning: ["⚠️", "⚠"],
  no_entry: ["⛔", "⊖"],
  no_entry_sign: ["🚫", "⊘"],
  stop_sign: ["🛑", "⊖"],
  red_circle: ["🔴", "●"],
  large_green_circle: ["🟢", "●"],
  large_blue_circle: ["🔵", "●"],
  large_yellow_circle: ["🟡", "●"],
  black_circle: ["⚫", "●"],
  white_circle: ["⚪", "○"],
  zzz: ["💤", "z"],
  hourglass: ["⌛", "◔"],
  hourglass_flowing_sand: ["⏳", "◑"],
  alarm_clock: ["⏰", "◷"],
  stopwatch: ["⏱️", "◷"],
  clock3: ["🕒", "◷"],
  gear: ["⚙️", "⚙"],
  package: ["📦", "▣"],
  outbox_tray: ["📤", "⇪"],
  inbox_tray: ["📥", "⬇"],
  leftwards_arrow_with_hook: ["↩️", "↩"],
  arrow_right: ["➡️", "→"],
  grey_question: ["❔", "?"],
  question: ["❓", "?"],
  exclamation: ["❗", "!"],
  test_tube: ["🧪", "⚗"],
  information_source: ["ℹ️", "ℹ"],
  link: ["🔗", "↗"],
  zap: ["⚡", "⚡"],
  rotating_light: ["🚨", "⚠"],
  triangular_flag_on_post: ["🚩", "⚑"],
  memo: ["📝", "✎"],
  pencil2: ["✏️", "✏"],
  thumbsup: ["👍", "✔"],
  "+1": ["👍", "✔"],
};

/** colourEmoji reports whether the browser draws emoji in colour, i.e.
 * has a colour-emoji font: a green circle drawn in black comes out with
 * coloured pixels only then (a missing glyph is a black box). */
function colourEmoji() {
  try {
    const c = document.createElement("canvas");
    c.width = c.height = 24;
    const g = c.getContext("2d", { willReadFrequently: true });
    g.textBaseline = "top";
    g.font = "20px sans-serif";
    g.fillStyle = "#000";
    g.fillText("\u{1F7E2}", 0, 0);
    const d = g.getImageData(0, 0, 24, 24).data;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0 && (d[i] !== d[i + 1] || d[i + 1] !== d[i + 2])) return true;
    }
  } catch {
    // no canvas: assume no colour emoji
  }
  return false;
}

let useColour = null; // decided at the first use

function glyph(name) {
  const e = EMOJI[name];
  if (!e) return null;
  if (useColour === null) useColour = colourEmoji();
  return useColour ? e[0] : e[1];
}

const SHORTCODE = /:([a-z0-9_+-]+):/g;

/** emojify replaces known :shortcodes: with their emoji (or fallback). */
export function emojify(s) {
  return s.replace(SHORTCODE, (m, name) => glyph(name) ?? m);
}

/** appendEmojified adds s to parent as text, each known shortcode as a
 * span titled with it, coloured by its class. */
function appendEmojified(parent, s) {
  let last = 0;
  for (const m of s.matchAll(SHORTCODE)) {
    const g = glyph(m[1]);
    if (g === null) continue;
    if (m.index > last) parent.appendChild(document.createTextNode(s.slice(last, m.index)));
    const span = document.createElement("span");
    span.className = "emoji e-" + m[1].replace(/[^a-z0-9_-]/g, "_");
    span.title = m[0];
    span.textContent = g;
    parent.appendChild(span);
    last = m.index + m[0].length;
  }
  if (last < s.length) parent.appendChild(document.createTextNode(s.slice(last)));
}

// links decides where a link the bot shows leads (see setLinks).
let links = () => null;

/** setLinks sets how links are rewritten: rewrite(url) returns null (an
 * external link, opened in a new tab) or { href, download } for a link that
 * stays in the page (download: the browser saves what it leads to). */
export function setLinks(rewrite) {
  links = rewrite;
}

/** unescape decodes the three entities Slack escapes in message text. */
export function unescapeSlack(s) {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** appendText adds text to parent, turning newlines into <br>. */
function appendText(parent, s, { emoji = true } = {}) {
  const lines = s.split("\n");
  lines.forEach((line, i) => {
    if (i > 0) parent.appendChild(document.createElement("br"));
    if (!line) return;
    if (emoji) appendEmojified(parent, line);
    else parent.appendChild(document.createTextNode(line));
  });
}

const INLINE = new RegExp(
  [
    "`([^`\\n]+)`",
    "<([^<>\\n]+)>",
    "(?<![\\p{L}\\p{N}_*])\\*(?!\\s)([^*\\n]+?)(?<!\\s)\\*(?![\\p{L}\\p{N}_*])",
    "(?<![\\p{L}\\p{N}_])_(?!\\s)([^_\\n]+?)(?<!\\s)_(?![\\p{L}\\p{N}_])",
    "(?<![\\p{L}\\p{N}_~])~(?!\\s)([^~\\n]+?)(?<!\\s)~(?![\\p{L}\\p{N}_~])",
  ].join("|"),
  "gu",
);

/** inline renders one run of mrkdwn without code fences into parent. */
function inline(parent, text, names) {
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) appendText(parent, unescapeSlack(text.slice(last, m.index)));
    last = m.index + m[0].length;
    if (m[1] !== undefined) {
      const code = document.createElement("code");
      code.textContent = unescapeSlack(m[1]);
      parent.appendChild(code);
    } else if (m[2] !== undefined) {
      parent.appendChild(angle(m[2], names));
    } else {
      const tag = m[3] !== undefined ? "b" : m[4] !== undefined ? "i" : "s";
      const el = document.createElement(tag);
      inline(el, m[3] ?? m[4] ?? m[5], names);
      parent.appendChild(el);
    }
  }
  if (last < text.length) appendText(parent, unescapeSlack(text.slice(last)));
}

/** angle renders a <…> token: a mention, a date, a link or plain text. */
function angle(body, names) {
  const bar = body.indexOf("|");
  const target = bar < 0 ? body : body.slice(0, bar);
  const label = bar < 0 ? "" : unescapeSlack(body.slice(bar + 1));
  const span = (cls, text) => {
    const el = document.createElement("span");
    el.className = cls;
    el.textContent = text;
    return el;
  };
  if (target.startsWith("@")) {
    const id = target.slice(1);
    return span("mention", "@" + (names[id] || label || id));
  }
  if (target.startsWith("#")) {
    return span("mention", "#" + (label || target.slice(1)));
  }
  if (target.startsWith("!subteam^")) {
    const id = target.slice("!subteam^".length);
    return span("mention", label || "@" + (names[id] || id));
  }
  if (target === "!here" || target === "!channel" || target === "!everyone") {
    return span("mention", "@" + target.slice(1));
  }
  if (target.startsWith("!date^")) {
    const el = span("date", formatDate(target, label));
    el.title = label;
    return el;
  }
  const url = unescapeSlack(target);
  if (/^https:\/\/[^\s]+$/i.test(url)) {
    const a = document.createElement("a");
    const local = links(url);
    if (local) {
      a.href = local.href;
      a.className = "local-link";
      if (local.download) a.download = "";
    } else {
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    a.textContent = label || url;
    return a;
  }
  return document.createTextNode(label || url);
}

/** formatDate renders <!date^ts^format|fallback> in the browser's time zone. */
export function formatDate(target, fallback) {
  const parts = target.split("^");
  const ts = Number(parts[1]);
  const format = parts[2];
  if (!Number.isFinite(ts) || !format) return fallback;
  const d = new Date(ts * 1000);
  const day = (opts) => d.toLocaleDateString(undefined, opts);
  const pretty = (opts) => {
    const today = new Date();
    const diff = Math.round((startOfDay(d) - startOfDay(today)) / 86400000);
    if (diff === 0) return "Today";
    if (diff === -1) return "Yesterday";
    if (diff === 1) return "Tomorrow";
    return day(opts);
  };
  const long = { weekday: "long", year: "numeric", month: "long", day: "numeric" };
  const short = { year: "numeric", month: "short", day: "numeric" };
  const normal = { year: "numeric", month: "long", day: "numeric" };
  const tokens = {
    date_num: () => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    date: () => day(normal),
    date_short: () => day(short),
    date_long: () => day(long),
    date_pretty: () => pretty(normal),
    date_short_pretty: () => pretty(short),
    date_long_pretty: () => pretty(long),
    time: () => d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }),
    time_secs: () => d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" }),
    ago: () => ago(d),
  };
  return format.replace(/\{([a-z_]+)\}/g, (m, name) => (tokens[name] ? tokens[name]() : m));
}

function startOfDay(d) {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

function pad(n) {
  return String(n).padStart(2, "0");
}

function ago(d) {
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  const abs = Math.abs(s);
  const [n, unit] = abs < 60 ? [abs, "second"] : abs < 3600 ? [Math.round(abs / 60), "minute"]
    : abs < 86400 ? [Math.round(abs / 3600), "hour"] : [Math.round(abs / 86400), "day"];
  const text = `${n} ${unit}${n === 1 ? "" : "s"}`;
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

/** mrkdwn renders Slack mrkdwn into a new fragment. names maps user and
 * group IDs to display names for mentions. */
export function mrkdwn(text, names = {}) {
  const frag = document.createDocumentFragment();
  const parts = String(text ?? "").split("```");
  parts.forEach((part, i) => {
    const isCode = i % 2 === 1 && i < parts.length - 1;
    if (!isCode) {
      if (i % 2 === 1) appendText(frag, "```");
      inline(frag, part, names);
      return;
    }
    const pre = document.createElement("pre");
    pre.className = "code-block";
    pre.textContent = unescapeSlack(part.replace(/^\n/, "").replace(/\n$/, ""));
    frag.appendChild(pre);
  });
  return frag;
}

/** textObject renders a Block Kit text object (plain_text or mrkdwn). */
export function textObject(obj, names = {}) {
  if (!obj) return document.createDocumentFragment();
  if (obj.type === "mrkdwn") return mrkdwn(obj.text, names);
  const frag = document.createDocumentFragment();
  appendText(frag, String(obj.text ?? ""));
  return frag;
}

/** plainText returns a text object's text with emoji, for labels. */
export function plainText(obj) {
  return emojify(String(obj?.text ?? ""));
}
