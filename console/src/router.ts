import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { loadSession, session } from './session';
import type { PageKey } from './types';

declare module 'vue-router' {
  interface RouteMeta {
    page?: PageKey;
    title?: string;
    public?: boolean;
  }
}

/** The menu, in order: page key, path, title. */
export const MENU: { page: PageKey; path: string; title: string }[] = [
  { page: 'overview', path: '/overview', title: '概览' },
  { page: 'products', path: '/products', title: '商品' },
  { page: 'orders', path: '/orders', title: '订单' },
  { page: 'afterSales', path: '/after-sales', title: '售后' },
  { page: 'marketing', path: '/marketing', title: '营销' },
  { page: 'distribution', path: '/distribution', title: '分销' },
  { page: 'members', path: '/members', title: '会员' },
  { page: 'delivery', path: '/delivery', title: '配送' },
  { page: 'data', path: '/data', title: '数据' },
  { page: 'settings', path: '/settings', title: '设置' },
];

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./pages/Login.vue'), meta: { public: true, title: '登录' } },
  {
    path: '/',
    component: () => import('./components/Layout.vue'),
    children: [
      { path: '', name: 'home', redirect: () => firstPage() },
      { path: 'overview', name: 'overview', component: () => import('./pages/Overview.vue'), meta: { page: 'overview', title: '概览' } },
      { path: 'products', name: 'products', component: () => import('./pages/products/Products.vue'), meta: { page: 'products', title: '商品' } },
      { path: 'products/new', name: 'product-new', component: () => import('./pages/products/ProductEditor.vue'), meta: { page: 'products', title: '新建商品' } },
      { path: 'products/:id(\\d+)', name: 'product-edit', component: () => import('./pages/products/ProductEditor.vue'), meta: { page: 'products', title: '编辑商品' } },
      { path: 'orders', name: 'orders', component: () => import('./pages/orders/Orders.vue'), meta: { page: 'orders', title: '订单' } },
      { path: 'after-sales', name: 'after-sales', component: () => import('./pages/AfterSales.vue'), meta: { page: 'afterSales', title: '售后' } },
      { path: 'data', name: 'data', component: () => import('./pages/Data.vue'), meta: { page: 'data', title: '数据' } },
      { path: 'settings', name: 'settings', component: () => import('./pages/Settings.vue'), meta: { page: 'settings', title: '设置' } },
      { path: 'marketing', name: 'marketing', component: () => import('./pages/marketing/Marketing.vue'), meta: { page: 'marketing', title: '营销' } },
      { path: 'distribution', name: 'distribution', component: () => import('./pages/distribution/Distribution.vue'), meta: { page: 'distribution', title: '分销' } },
      { path: 'members', name: 'members', component: () => import('./pages/members/Members.vue'), meta: { page: 'members', title: '会员' } },
      { path: 'delivery', name: 'delivery', component: () => import('./pages/delivery/Delivery.vue'), meta: { page: 'delivery', title: '配送' } },
      { path: 'forbidden', name: 'forbidden', component: () => import('./pages/Forbidden.vue'), meta: { title: '无权访问' } },
      { path: ':rest(.*)*', name: 'not-found', component: () => import('./pages/NotFound.vue'), meta: { title: '页面不存在' } },
    ],
  },
];

export function firstPage(): string {
  const item = MENU.find((m) => session.pages.includes(m.page));
  return item ? item.path : '/forbidden';
}

export const router = createRouter({
  history: createWebHistory('/admin/'),
  routes,
});

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  const signedIn = await loadSession();
  if (!signedIn) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} };
  if (to.meta.page && !session.pages.includes(to.meta.page)) return { name: 'forbidden' };
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · 商家管理后台` : '商家管理后台';
});
