// Deployment settings of the mini-program. A merchant edits this file only.
module.exports = {
  // The storefront API (server/). Must be an HTTPS domain listed under
  // 开发管理 → 服务器域名 → request合法域名 in production; DevTools can use
  // http://127.0.0.1 with "不校验合法域名" ticked.
  baseURL: 'http://127.0.0.1:8080',
  // Request timeout in milliseconds.
  timeout: 10000,
  // Shop display name (navigation bar, share titles).
  shopName: '微商城',
  // Home-page banners used when the server has no /api/home yet.
  banners: [],
  // Where same-city delivery starts, to compute the distance to the shopper
  // (wx.getLocation). Null hides same-city delivery.
  store: null, // e.g. { latitude: 31.2304, longitude: 121.4737 }
  // Names of the pickup stores (ids come from the shop's rules).
  pickupStoreNames: { 'store-1': '门店自提点' },
};
