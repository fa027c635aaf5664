// In-app navigation (History API). main.ts registers the renderer.
let renderer: (() => Promise<void>) | null = null;
const after: Array<() => void> = [];

export function setRenderer(f: () => Promise<void>): void {
  renderer = f;
}

export function navigate(to: string, keepScroll = false): void {
  history.pushState(null, "", to);
  void renderer?.().then(() => {
    if (!keepScroll) {
      window.scrollTo(0, 0);
      document.getElementById("main")?.focus({ preventScroll: true });
    }
    after.splice(0).forEach((f) => f());
  });
}
