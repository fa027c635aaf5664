import "./style.css";
import { h } from "./lib/dom";
import { lang, setLang, t, type Lang } from "./lib/i18n";
import { navigate, setRenderer } from "./lib/nav";
import { explorerHref, href, langFromUrl, parse, type Route } from "./lib/router";

type PageModule = { render(root: HTMLElement, route: Route, signal: AbortSignal): Promise<void> };
// Each page is its own chunk: d3-geo and the map only on the overview, uPlot only where a timeline is.
const pages: Record<string, () => Promise<PageModule>> = {
  overview: () => import("./pages/overview"),
  country: () => import("./pages/country"),
  domain: () => import("./pages/domain"),
  measurement: () => import("./pages/measurement"),
  explorer: () => import("./pages/explorer"),
};

const main = document.getElementById("main")!;
let controller: AbortController | null = null;

function preferredLang(q: URLSearchParams): Lang {
  const fromUrl = langFromUrl(q);
  if (fromUrl) return fromUrl;
  try {
    const saved = localStorage.getItem("vigil.lang");
    if (saved === "en" || saved === "fr") return saved;
  } catch {
    /* storage unavailable */
  }
  return navigator.language?.toLowerCase().startsWith("fr") ? "fr" : "en";
}

function shell(route: Route): void {
  document.getElementById("skip")!.textContent = t("nav.skip");
  document.getElementById("brand")!.setAttribute("href", href("/"));
  document.getElementById("brand-name")!.textContent = t("app.name");
  const nav = document.getElementById("nav")!;
  nav.setAttribute("aria-label", t("nav.main"));
  const link = (target: string, label: string, active: boolean) =>
    h("a", { href: target, "aria-current": active ? "page" : null }, label);
  nav.replaceChildren(
    link(href("/"), t("nav.overview"), route.page === "overview"),
    link(explorerHref(), t("nav.explorer"), route.page === "explorer"),
  );
  // The switch keeps the page and its filters, only the language changes.
  const other: Lang = lang() === "en" ? "fr" : "en";
  const q = new URLSearchParams(route.query);
  q.set("lang", other);
  const sw = document.getElementById("lang-switch")!;
  sw.setAttribute("href", `${location.pathname}?${q.toString()}`);
  sw.setAttribute("hreflang", other);
  sw.setAttribute("lang", other);
  sw.setAttribute("aria-label", t("lang.switchLabel"));
  sw.textContent = t("lang.switch");
  const footer = document.getElementById("footer")!;
  const ooni = h("a", { href: "https://ooni.org" }, "OONI");
  const [before, after] = t("footer.ooni").split("{ooni}");
  footer.replaceChildren(
    h("p", {}, before, ooni, after),
    h("p", {}, t("footer.dbip"), " ", h("a", { href: "https://db-ip.com" }, "IP Geolocation by DB-IP")),
  );
}

async function render(): Promise<void> {
  controller?.abort();
  controller = new AbortController();
  const signal = controller.signal;
  const route = parse(location);
  setLang(preferredLang(route.query));
  try {
    localStorage.setItem("vigil.lang", lang());
  } catch {
    /* ignore */
  }
  if (!route.query.get("lang")) {
    route.query.set("lang", lang());
    history.replaceState(null, "", `${location.pathname}?${route.query.toString()}`);
  }
  shell(route);
  main.removeAttribute("data-ready");
  main.setAttribute("aria-busy", "true");
  const root = h("div", { class: `page page-${route.page}` });
  main.replaceChildren(root);
  if (route.page === "notfound") {
    document.title = t("app.title");
    root.append(h("h1", {}, "404"), h("p", {}, h("a", { href: href("/") }, t("nav.overview"))));
    main.setAttribute("data-ready", route.page);
    main.removeAttribute("aria-busy");
    return;
  }
  root.append(h("p", { class: "loading" }, t("common.loading")));
  try {
    const mod = await pages[route.page]();
    if (signal.aborted) return;
    await mod.render(root, route, signal);
    if (signal.aborted) return;
    root.querySelector(".loading")?.remove();
  } catch (e) {
    if (signal.aborted) return;
    root.querySelector(".loading")?.remove();
    root.append(h("p", { class: "error", role: "alert" }, t("common.error", { msg: (e as Error).message })));
  }
  main.removeAttribute("aria-busy");
  main.setAttribute("data-ready", route.page);
  performance.mark(`vigil-ready-${route.page}`); // read by bench/dashboard.sh
}

/** In-app navigation for plain links: same origin, no modifier key, no target. */
document.addEventListener("click", (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  // HTML and SVG links alike (an SVG <a>'s href is not a string property).
  const a = (e.target as Element).closest?.("a");
  const target = a?.getAttribute("href");
  if (!a || !target || a.getAttribute("target") || a.hasAttribute("download")) return;
  const url = new URL(target, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  e.preventDefault();
  navigate(url.pathname + url.search, a.id === "lang-switch");
});

setRenderer(render);

window.addEventListener("popstate", () => void render());
void render();
