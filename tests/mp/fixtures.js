// Realistic server answers, shaped like server/src/http/*.rs and the demo shop
// (server/src/db/seed.rs): the demo rules, a silver member with a wallet.
'use strict';

const NOW = 1767225600; // 2026-01-01 00:00:00 UTC
const DAY = 86400;

const demoRules = {
  member: {
    levels: [
      { levelId: 'normal', name: '普通会员', minGrowth: 0, discountRate: '1', pointsMultiplier: '1' },
      { levelId: 'silver', name: '白银会员', minGrowth: 500, discountRate: '0.98', pointsMultiplier: '1' },
      { levelId: 'gold', name: '黄金会员', minGrowth: 2000, discountRate: '0.95', freeShipping: true, pointsMultiplier: '1.5' },
      { levelId: 'diamond', name: '钻石会员', minGrowth: 10000, discountRate: '0.9', freeShipping: true, pointsMultiplier: '2' },
    ],
    growthPerYuan: '1',
    pointsPerYuan: '1',
  },
  campaigns: [{
    campaignId: 'full-reduction',
    rule: { kind: 'amountOff', tiers: [{ threshold: 19900, amount: 2000 }, { threshold: 39900, amount: 5000 }] },
  }],
  points: { pointsPerYuan: 100, maxShare: '0.3' },
  shipping: {
    express: [{
      shopId: 'self',
      basis: 'piece',
      rules: [
        { regions: [], first: 1, firstFee: 800, additional: 1, additionalFee: 200 },
        { regions: ['65', '54'], first: 1, firstFee: 2000, additional: 1, additionalFee: 1000 },
      ],
      freeOver: 9900,
    }],
    pickupStores: ['store-1'],
    sameCity: { tiers: [{ maxMeters: 3000, fee: 500 }, { maxMeters: 8000, fee: 1000 }] },
  },
  activities: [{
    activityId: 'flash-earbuds', kind: 'flashSale', startsAt: NOW - DAY, endsAt: NOW + DAY,
    prices: [{ skuId: '205', price: 19900, stock: 20 }], perUserLimit: 2, allowCoupons: true, allowPoints: true,
  }],
};

const wallet = [
  { couponId: '901', batchId: '1', title: '满100减10', shopId: 'self', kind: { kind: 'threshold', threshold: 10000, amount: 1000 }, validFrom: NOW - DAY, validUntil: NOW + 30 * DAY },
  { couponId: '902', batchId: '2', title: '无门槛5元券', kind: { kind: 'noThreshold', amount: 500 }, validFrom: NOW - DAY, validUntil: NOW + 7 * DAY },
  { couponId: '903', batchId: '3', title: '9折券 最高减30', kind: { kind: 'percent', rate: '0.9', cap: 3000, threshold: 60000 }, validFrom: NOW - DAY, validUntil: NOW + 30 * DAY },
  { couponId: '904', batchId: '4', title: '免邮券', kind: { kind: 'freeShipping' }, validFrom: NOW - DAY, validUntil: NOW + 30 * DAY },
  { couponId: '905', batchId: '5', title: '食品满50减8', shopId: 'self', kind: { kind: 'threshold', threshold: 5000, amount: 800 }, scope: { kind: 'categories', ids: ['31'] }, validFrom: NOW - DAY, validUntil: NOW + 15 * DAY },
];

const catalog = [
  { skuId: '101', spuId: '1', shopId: 'self', categoryIds: ['11', '1'], listPrice: 9900, stock: 50, weightGrams: 300 },
  { skuId: '205', spuId: '2', shopId: 'self', categoryIds: ['21', '2'], listPrice: 29900, stock: 40, perUserLimit: 5, weightGrams: 200 },
  { skuId: '310', spuId: '3', shopId: 'self', categoryIds: ['31', '3'], listPrice: 5900, stock: 3, weightGrams: 500 },
  { skuId: '402', spuId: '4', shopId: 'self', categoryIds: ['11', '1'], listPrice: 12900, stock: 10, onShelf: false },
  { skuId: '108', spuId: '1', shopId: 'self', categoryIds: ['11', '1'], listPrice: 4900, stock: 100 },
];

// GET /api/cart items (display data; the quote comes from the wasm core)
const cartItems = [
  { id: 11, skuId: 101, productId: 1, title: '男士纯棉短袖T恤', specs: ['白色', 'L'], image: 'https://img.example.com/tee.jpg', listPrice: 9900, stock: 50, quantity: 2, selected: true, activityId: null },
  { id: 12, skuId: 205, productId: 2, title: '降噪蓝牙耳机', specs: ['黑色'], image: 'https://img.example.com/buds.jpg', listPrice: 29900, stock: 40, quantity: 1, selected: true, activityId: 'flash-earbuds' },
  { id: 13, skuId: 310, productId: 3, title: '每日坚果 25g×30袋', specs: ['原味'], image: 'https://img.example.com/nuts.jpg', listPrice: 5900, stock: 3, quantity: 5, selected: true, activityId: null },
  { id: 14, skuId: 402, productId: 4, title: '复古帆布鞋', specs: ['米白', '40'], image: 'https://img.example.com/shoe.jpg', listPrice: 12900, stock: 10, quantity: 1, selected: true, activityId: null },
  { id: 15, skuId: 108, productId: 1, title: '男士纯棉短袖T恤', specs: ['黑色', 'M'], image: 'https://img.example.com/tee2.jpg', listPrice: 4900, stock: 100, quantity: 1, selected: false, activityId: null },
];

/** POST /api/checkout/input for the cart: the core input the server would price. */
function cartInput(options) {
  return {
    now: NOW,
    catalog: JSON.parse(JSON.stringify(catalog)),
    lines: cartItems.map((i) => ({ lineId: String(i.id), skuId: String(i.skuId), quantity: i.quantity, selected: i.selected, activityId: i.activityId })),
    rules: JSON.parse(JSON.stringify(demoRules)),
    buyer: { growth: 600, pointsBalance: 3000, purchased: [], coupons: JSON.parse(JSON.stringify(wallet)) },
    options: options || { coupons: { kind: 'best' }, points: { kind: 'none' }, delivery: null },
  };
}

const addresses = [
  { id: 31, name: '张三', phone: '13800138000', regionCode: '310115', province: '上海市', city: '上海市', district: '浦东新区', detail: '世纪大道100号', isDefault: true },
  { id: 32, name: '李四', phone: '13900139000', regionCode: '650102', province: '新疆维吾尔自治区', city: '乌鲁木齐市', district: '天山区', detail: '解放南路1号', isDefault: false },
];

const categories = [
  { id: 1, parentId: null, name: '服装', icon: 'https://img.example.com/c1.png', children: [
    { id: 11, parentId: 1, name: '男装', icon: 'https://img.example.com/c11.png', children: [] },
    { id: 12, parentId: 1, name: '女装', icon: 'https://img.example.com/c12.png', children: [] },
  ] },
  { id: 2, parentId: null, name: '数码', icon: 'https://img.example.com/c2.png', children: [
    { id: 21, parentId: 2, name: '耳机', icon: 'https://img.example.com/c21.png', children: [] },
  ] },
  { id: 3, parentId: null, name: '食品', icon: 'https://img.example.com/c3.png', children: [
    { id: 31, parentId: 3, name: '零食', icon: 'https://img.example.com/c31.png', children: [] },
    { id: 32, parentId: 3, name: '茶饮', icon: 'https://img.example.com/c32.png', children: [] },
  ] },
  { id: 4, parentId: null, name: '家居', icon: 'https://img.example.com/c4.png', children: [] },
];

function card(id, title, price, extra) {
  return Object.assign({ id, title, subtitle: '', image: `https://img.example.com/p${id}.jpg`, price, stock: 10, sales: 100 + id }, extra);
}

function productsPage(page, total, pageSize = 4) {
  const items = [];
  for (let i = 0; i < pageSize && (page - 1) * pageSize + i < total; i++) {
    const n = (page - 1) * pageSize + i + 1;
    items.push(card(n, `商品${n}`, 1000 + n * 100));
  }
  return { items, page, pageSize, total, hasMore: page * pageSize < total };
}

const productDetail = {
  id: 1, shopId: 'self', categoryId: 11, title: '男士纯棉短袖T恤', subtitle: '新疆长绒棉 透气舒适', description: '100%棉',
  images: ['https://img.example.com/tee-1.jpg', 'https://img.example.com/tee-2.jpg', 'https://img.example.com/tee-3.jpg'],
  specNames: [{ name: '颜色', values: ['白色', '黑色'] }, { name: '尺码', values: ['M', 'L'] }],
  skus: [
    { id: 101, specs: ['白色', 'L'], image: 'https://img.example.com/tee-w.jpg', listPrice: 9900, stock: 50, onShelf: true, minQuantity: 1, perUserLimit: null },
    { id: 107, specs: ['白色', 'M'], image: 'https://img.example.com/tee-w.jpg', listPrice: 9900, stock: 0, onShelf: true, minQuantity: 1, perUserLimit: null },
    { id: 108, specs: ['黑色', 'M'], image: 'https://img.example.com/tee-b.jpg', listPrice: 4900, stock: 100, onShelf: true, minQuantity: 1, perUserLimit: null },
    { id: 109, specs: ['黑色', 'L'], image: 'https://img.example.com/tee-b.jpg', listPrice: 4900, stock: 8, onShelf: true, minQuantity: 1, perUserLimit: null },
  ],
  minPrice: 4900, maxPrice: 9900, stock: 158, sales: 1203,
  activities: [{
    activityId: 'flash-tee', kind: 'flashSale', title: 'T恤限时秒杀', startsAt: NOW - 3600, endsAt: NOW + 7200, perUserLimit: 2,
    prices: [{ skuId: 108, price: 2900, stock: 20 }],
  }],
  // server/src/db/reviews.rs ReviewSummary: nicknames masked by the server
  reviewSummary: {
    count: 25, goodRate: '96%',
    latest: [
      { id: 31, nickname: '阿***', rating: 5, text: '棉很软，洗了几次也不变形。', createdAt: NOW - 3600 },
      { id: 30, nickname: 'T***m', rating: 3, text: '', createdAt: NOW - 2 * DAY },
    ],
  },
};

/** GET /api/products/{id}/reviews: `total` reviews, newest first. */
function reviewsPage(page, total, pageSize = 10) {
  const items = [];
  for (let i = 0; i < pageSize && (page - 1) * pageSize + i < total; i++) {
    const n = (page - 1) * pageSize + i + 1;
    items.push({ id: 1000 - n, nickname: `用***${n}`, rating: (n % 5) + 1, text: `评价${n}`, createdAt: NOW - n * 3600 });
  }
  return { items, page, pageSize, total, hasMore: page * pageSize < total };
}

// Orders as GET /api/orders(/{id}) answers them (server/src/db/orders.rs):
// statuses snake_case (server/src/order.rs), actions camelCase and only the
// shopper's (cancel, confirmReceipt), amounts in fen.
const STATUS_LABEL = {
  pending_payment: '待付款', paid: '待发货', shipped: '待收货', completed: '已完成', cancelled: '已取消', refunded: '已退款',
};
const SHOPPER_ACTIONS = { pending_payment: ['cancel'], shipped: ['confirmReceipt'] };

function order(id, status, extra) {
  if (!STATUS_LABEL[status]) throw new Error(`not a server order status: ${status}`);
  return Object.assign({
    id, orderNo: `17672256000000${id}`, status, statusLabel: STATUS_LABEL[status], actions: SHOPPER_ACTIONS[status] || [],
    payable: 38704, itemCount: 3, createdAt: NOW, expiresAt: status === 'pending_payment' ? NOW + 1800 : null,
    lines: [
      { lineId: '11', skuId: 101, productId: 1, title: '男士纯棉短袖T恤', specs: ['白色', 'L'], image: 'https://img.example.com/tee.jpg', quantity: 2, listPrice: 9900, unitPrice: 9702, priceSource: 'member', activityId: null, subtotal: 19404, itemDiscount: 0, orderDiscount: 1500, net: 17904, pointsDeduction: 0, paid: 17904, units: [], reviewed: false },
      { lineId: '12', skuId: 205, productId: 2, title: '降噪蓝牙耳机', specs: ['黑色'], image: 'https://img.example.com/buds.jpg', quantity: 1, listPrice: 29900, unitPrice: 19900, priceSource: 'flashSale', activityId: 'flash-earbuds', subtotal: 19900, itemDiscount: 0, orderDiscount: 0, net: 19900, pointsDeduction: 0, paid: 19900, units: [], reviewed: false },
    ],
  }, extra);
}

function orderDetail(o, extra) {
  const paid = ['paid', 'shipped', 'completed', 'refunded'].includes(o.status);
  return Object.assign({}, o, {
    goodsTotal: 39304, discountTotal: 1500, shippingFee: 900, pointsUsed: 0, pointsDeduction: 0, remark: '请尽快发货',
    delivery: { kind: 'express', regionCode: '310115' }, address: addresses[0], paidAt: paid ? NOW + 60 : null, shippedAt: null, completedAt: null,
    cancelledAt: null, cancelReason: null, carrier: null, trackingNo: null, pickupCode: null,
    paidAmount: paid ? o.payable : null, refundedAmount: 0, quote: {}, snapshot: {},
  }, extra);
}

/** POST /api/orders/{id}/pay for an unpaid order (server/src/pay.rs PayResponse). */
function prepay(orderId, amount) {
  return {
    orderId, paid: false, amount,
    params: {
      appId: 'wx-demo-appid', timeStamp: String(NOW + 5), nonceStr: 'n0nce5tr1ng', package: `prepay_id=wx${orderId}0000`,
      signType: 'RSA', paySign: 'c2lnbmF0dXJl',
    },
  };
}

/** An after-sales request (server/src/aftersale.rs AfterSaleView). */
function afterSale(id, orderId, extra) {
  return Object.assign({
    id, orderId, kind: 'refund_only', status: 'requested', items: [{ lineId: '11', quantity: 1 }], includeShipping: false,
    reason: '不想要了', amount: 8952, pointsReturned: 0, couponsReturned: [], wholeOrder: false, rejectReason: null,
    returnCarrier: null, returnTrackingNo: null, refundStatus: null, createdAt: NOW + 100,
  }, extra);
}

module.exports = { NOW, DAY, order, orderDetail, prepay, afterSale, demoRules, wallet, catalog, cartItems, cartInput, addresses, categories, productsPage, productDetail, reviewsPage, card };
