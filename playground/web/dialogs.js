// Dialogs over the page: a button's confirm dialog and the bot's modals.

import { plainText } from "./mrkdwn.js";
import { renderBlocks, confirmParts } from "./blocks.js";
import { el } from "./dom.js";

/** showConfirm shows a button's confirm dialog; onConfirm runs on confirm. */
export function showConfirm(c, names, onConfirm) {
  const parts = confirmParts(c, names);
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
  document.getElementById("overlays").appendChild(backdrop);
  ok.focus();
}

/** showModal replaces the shown modal with st.modal (none if null).
 * api(path, body) posts to the page's API; refresh fetches the state. */
export function showModal(st, api, refresh) {
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
    refresh();
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
      refresh();
    });
    foot.appendChild(submit);
  }
  dlg.appendChild(foot);
  backdrop.appendChild(dlg);
  backdrop.addEventListener("keydown", (e) => {
    if (e.key === "Escape") close();
  });
  document.getElementById("overlays").prepend(backdrop);
  const first = body.querySelector("input, textarea, select");
  if (first) first.focus();
}
