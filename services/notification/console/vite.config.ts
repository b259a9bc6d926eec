import { defineConfig } from "vite";

// The console is served by the notification service from notification.console_dir at "/", on the
// same origin as the API (/v1/...), so it needs no CORS and no CDN: everything is bundled here.
// `npm run dev` proxies the API to a running service (CALLMESH_API, default 127.0.0.1:8080).
export default defineConfig({
  base: "/",
  build: {
    outDir: process.env.CONSOLE_OUT_DIR || "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0, // no data: URLs for scripts; CSP allows only 'self'
    sourcemap: false,
  },
  server: {
    proxy: { "/v1": `http://${process.env.CALLMESH_API || "127.0.0.1:8080"}` },
  },
});
