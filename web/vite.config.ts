import { defineConfig, type Plugin } from "vite";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

// Precompressed copies (name.gz) of text assets, which `vigil serve` sends with
// Content-Encoding: gzip. Made from the files as written (writeBundle), after every other
// plugin has finished with them: compressing in generateBundle would capture chunks whose
// preload placeholders are not yet filled in.
function precompress(): Plugin {
  return {
    name: "vigil-precompress",
    apply: "build",
    enforce: "post",
    writeBundle(opts, bundle) {
      const dir = opts.dir ?? "dist";
      for (const name of Object.keys(bundle)) {
        if (!/\.(js|css|html|json|svg)$/.test(name)) continue;
        const file = join(dir, name);
        writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
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
