import { h } from "./dom";
import { t } from "./i18n";

export interface Field {
  name: string;
  label: string;
  type: "text" | "date" | "select";
  options?: [string, string][];
  placeholder?: string;
}

/** A filter form whose values become the page's URL query (so the view is shareable). */
export function filterForm(fields: Field[], q: URLSearchParams, apply: (values: Record<string, string>) => void): HTMLElement {
  const controls = fields.map((f) => {
    const id = `f-${f.name}`;
    const value = q.get(f.name) ?? "";
    const input =
      f.type === "select"
        ? h(
            "select",
            { id, name: f.name },
            (f.options ?? []).map(([v, label]) => h("option", { value: v, selected: v === value }, label)),
          )
        : h("input", { id, name: f.name, type: f.type, value, placeholder: f.placeholder ?? null, autocomplete: "off" });
    return h("div", { class: "field" }, h("label", { for: id }, f.label), input);
  });
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": t("explorer.filters") },
    controls,
    h("div", { class: "field buttons" }, h("button", { type: "submit" }, t("common.apply")), h("button", { type: "reset" }, t("common.reset"))),
  );
  const collect = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const f of fields) {
      const el = form.elements.namedItem(f.name) as HTMLInputElement | HTMLSelectElement | null;
      const v = el?.value.trim() ?? "";
      if (v) out[f.name] = v;
    }
    return out;
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    apply(collect());
  });
  form.addEventListener("reset", (e) => {
    e.preventDefault();
    apply({});
  });
  // Selects apply at once (keyboard users can still Tab through them: change fires on commit).
  form.querySelectorAll("select").forEach((s) => s.addEventListener("change", () => apply(collect())));
  return form;
}
