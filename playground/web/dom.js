// Small DOM helpers shared by the page's modules.

/** el creates an element with a class and text (set as textContent). */
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// syncList makes container's children the rendered items, reusing the node
// of every item whose content did not change, so that the DOM stays stable
// (focus, hover and a pending click survive an update).
export function syncList(container, items, cache, build) {
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
