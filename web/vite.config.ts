import { defineConfig, type Plugin } from "vite";
import { gzipSync } from "node:zlib";

// Precompressed copies (name.gz) of text assets, for a server that serves them with
// Content-Encoding: gzip; also what bench/dashboard.sh reports as the compressed size.
function precompress(): Plugin {
  return {
    name: "vigil-precompress",
    apply: "build",
    generateBundle(_opts, bundle) {
      for (const [name, item] of Object.entries(bundle)) {
        if (!/\.(js|css|html|json|svg)$/.test(name)) continue;
        const src = item.type === "chunk" ? item.code : item.source;
        const gz = gzipSync(typeof src === "string" ? Buffer.from(src) : Buffer.from(src), { level: 9 });
        this.emitFile({ type: "asset", fileName: `${name}.gz`, source: gz });
      }
    },
  };
}

export default defineConfig({
  base: "/",
  plugins: [precompress()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  server: { host: "127.0.0.1" },
});
