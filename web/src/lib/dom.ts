// Tiny DOM helpers. Text always goes through textContent: measurement data is untrusted.
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v as EventListener);
    else if (k === "class") el.className = String(v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

/** A section with a heading; returns [section, body]. */
export function section(title: string, id?: string): [HTMLElement, HTMLElement] {
  const hid = id ? `${id}-h` : undefined;
  const body = h("div", { class: "section-body" });
  const s = h("section", { class: "card", id, "aria-labelledby": hid }, h("h2", { id: hid }, title), body);
  return [s, body];
}
