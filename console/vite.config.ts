import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import AutoImport from 'unplugin-auto-import/vite';
import Components from 'unplugin-vue-components/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';

// The server embeds console/dist and serves it at /admin/ (index.html for any
// other /admin/* path, so the router runs in history mode under /admin/).
export default defineConfig({
  base: '/admin/',
  plugins: [
    vue(),
    // Element Plus on demand: only the components and their styles a page uses
    // land in that page's chunk.
    AutoImport({ resolvers: [ElementPlusResolver()], dts: 'src/auto-imports.d.ts' }),
    Components({ resolvers: [ElementPlusResolver()], dts: 'src/components.d.ts' }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    chunkSizeWarningLimit: 800,
    reportCompressedSize: false,
  },
  server: {
    port: 5173,
    proxy: {
      '/admin/api': { target: process.env.MALL_API ?? 'http://127.0.0.1:8080', changeOrigin: false },
    },
  },
});
