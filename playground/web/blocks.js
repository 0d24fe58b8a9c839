// Block Kit to DOM. ctx: { names, people, onButton(button, element) or null,
// onSelect(select, value, element) or none (a view's static_select),
// inputs (an array collecting input blocks of a modal) }.

import { textObject, plainText, emojify } from "./mrkdwn.js";

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** renderBlocks renders a list of blocks into a new element. */
export function renderBlocks(blocks, ctx) {
  const root = el("div", "blocks");
  for (const b of blocks || []) {
    const r = RENDER[b.type];
    root.appendChild(r ? r(b, ctx) : el("div", "b-unsupported", `[${b.type} block]`));
  }
  return root;
}

const RENDER = {
  header(b) {
    return el("div", "b-header", plainText(b.text));
  },
  divider() {
    return el("hr", "b-divider");
  },
  section(b, ctx) {
    const s = el("div", "b-section");
    const main = el("div", "b-section-main");
    if (b.text) {
      const t = el("div", "b-text");
      t.appendChild(textObject(b.text, ctx.names));
      main.appendChild(t);
    }
    if (b.fields?.length) {
      const f = el("div", "b-fields");
      for (const field of b.fields) {
        const c = el("div", "b-field");
        c.appendChild(textObject(field, ctx.names));
        f.appendChild(c);
      }
      main.appendChild(f);
    }
    s.appendChild(main);
    if (b.accessory) {
      const acc = el("div", "b-accessory");
      acc.appendChild(element(b.accessory, ctx));
      s.appendChild(acc);
    }
    return s;
  },
  context(b, ctx) {
    const c = el("div", "b-context");
    for (const e of b.elements || []) {
      if (e.type === "image") {
        c.appendChild(el("span", "b-context-image", "🖼"));
        continue;
      }
      const span = el("span", "b-context-item");
      span.appendChild(textObject(e, ctx.names));
      c.appendChild(span);
    }
    return c;
  },
  actions(b, ctx) {
    const a = el("div", "b-actions");
    for (const e of b.elements || []) a.appendChild(element(e, ctx));
    return a;
  },
  image(b) {
    const f = el("figure", "b-image");
    if (b.title) f.appendChild(el("figcaption", "", plainText(b.title)));
    f.appendChild(el("div", "b-image-alt", `🖼 ${b.alt_text || "image"}`));
    return f;
  },
  input(b, ctx) {
    const w = el("div", "b-input");
    const id = `in-${b.block_id || ""}-${b.element?.action_id || ""}`;
    const label = el("label", "b-input-label", plainText(b.label));
    label.htmlFor = id;
    if (b.optional) label.appendChild(el("span", "b-optional", " (optional)"));
    w.appendChild(label);
    const field = inputElement(b.element || {}, id, ctx);
    w.appendChild(field.node);
    if (b.hint) w.appendChild(el("div", "b-hint", plainText(b.hint)));
    const error = el("div", "b-input-error");
    w.appendChild(error);
    ctx.inputs?.push({
      blockId: b.block_id || "", actionId: b.element?.action_id || "", value: field.value,
      optional: !!b.optional, label: plainText(b.label), error,
    });
    return w;
  },
};

/** element renders an interactive element of a section or actions block. */
function element(e, ctx) {
  switch (e.type) {
    case "button":
      return button(e, ctx);
    case "image":
      return el("span", "b-image-alt", `🖼 ${e.alt_text || ""}`);
    case "static_select":
      if (ctx.onSelect) return select(e, ctx);
    // fall through: a select in a message is not available here
    case "overflow":
    case "users_select":
    case "external_select":
    case "conversations_select":
    case "channels_select": {
      const s = el("select", "b-select");
      s.disabled = true;
      s.title = "Not available in the playground";
      s.appendChild(el("option", "", plainText(e.placeholder) || "Select…"));
      return s;
    }
    default:
      return el("span", "b-unsupported", `[${e.type}]`);
  }
}

/** button renders a Block Kit button; clicking it goes through ctx.onButton. */
function button(e, ctx) {
  const btn = el("button", "b-button", plainText(e.text));
  btn.type = "button";
  if (e.style === "primary" || e.style === "danger") btn.classList.add(e.style);
  btn.dataset.actionId = e.action_id || "";
  if (!ctx.onButton) {
    btn.disabled = true;
    btn.title = "Buttons here are not available in the playground";
    return btn;
  }
  btn.addEventListener("click", () => ctx.onButton(e, btn));
  return btn;
}

/** select renders a static_select of a view's actions block; picking an
 * option goes through ctx.onSelect(element, value). */
function select(e, ctx) {
  const s = el("select", "b-select");
  s.dataset.actionId = e.action_id || "";
  s.setAttribute("aria-label", plainText(e.placeholder) || "Select");
  for (const o of optionList(e)) {
    const opt = el("option", "", plainText(o.text));
    opt.value = o.value;
    s.appendChild(opt);
  }
  if (e.initial_option) s.value = e.initial_option.value;
  s.addEventListener("change", () => ctx.onSelect(e, s.value, s));
  return s;
}

/** inputElement renders an input block's element and a getter for its value. */
function inputElement(e, id, ctx) {
  switch (e.type) {
    case "plain_text_input": {
      const t = e.multiline ? el("textarea", "b-textarea") : el("input", "b-textinput");
      t.id = id;
      if (e.placeholder) t.placeholder = plainText(e.placeholder);
      if (e.initial_value) t.value = e.initial_value;
      if (e.max_length) t.maxLength = e.max_length;
      return { node: t, value: () => t.value };
    }
    case "static_select":
    case "users_select": {
      const s = el("select", "b-select");
      s.id = id;
      s.appendChild(el("option", "", plainText(e.placeholder) || "Select…")).value = "";
      const options = e.type === "users_select"
        ? (ctx.people || []).map((p) => ({ value: p.id, text: p.realName }))
        : optionList(e).map((o) => ({ value: o.value, text: plainText(o.text) }));
      for (const o of options) {
        const opt = el("option", "", o.text);
        opt.value = o.value;
        s.appendChild(opt);
      }
      const initial = e.initial_option?.value || e.initial_user;
      if (initial) s.value = initial;
      return { node: s, value: () => s.value };
    }
    case "radio_buttons":
    case "checkboxes": {
      const box = el("div", "b-choices");
      const kind = e.type === "radio_buttons" ? "radio" : "checkbox";
      const inputs = [];
      for (const o of e.options || []) {
        const lab = el("label", "b-choice");
        const inp = el("input");
        inp.type = kind;
        inp.name = id;
        inp.value = o.value;
        if (e.initial_option?.value === o.value || (e.initial_options || []).some((i) => i.value === o.value)) inp.checked = true;
        lab.appendChild(inp);
        lab.appendChild(document.createTextNode(" " + plainText(o.text)));
        box.appendChild(lab);
        inputs.push(inp);
      }
      return { node: box, value: () => inputs.filter((i) => i.checked).map((i) => i.value).join(",") };
    }
    default:
      return { node: el("div", "b-unsupported", `[${e.type}]`), value: () => "" };
  }
}

function optionList(e) {
  if (e.options) return e.options;
  return (e.option_groups || []).flatMap((g) => g.options || []);
}

/** confirmParts returns a confirm object's texts, with Slack's defaults. */
export function confirmParts(c, names) {
  return {
    title: plainText(c.title) || "Are you sure?",
    text: textObject(c.text, names),
    confirm: plainText(c.confirm) || "Yes",
    deny: plainText(c.deny) || "Cancel",
    style: c.style === "danger" ? "danger" : "primary",
  };
}

export { emojify };
