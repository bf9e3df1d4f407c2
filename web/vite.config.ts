// Vite build of the dashboard: web/dist/index.html plus hashed files under dist/assets/,
// which strixd serves at / and /assets/<file>. `npm run dev` proxies the API to a strixd
// on 127.0.0.1:8888 (STRIX_URL overrides it).
import { defineConfig } from 'vite';

const target = process.env.STRIX_URL ?? 'http://127.0.0.1:8888';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 200,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target, changeOrigin: false },
      '/-': { target },
    },
  },
});
