import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run build` writes dist/, which the Go package in this folder embeds.
// `npm run dev` serves the sources with the API of a server on port 8000.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: {
    proxy: { "/api": "http://localhost:8000", "/_demo": "http://localhost:8000" },
  },
});
