// 购物车: the server keeps the cart; the phone prices it with the rules core
// (same input as the server, POST /api/checkout/input) and re-quotes locally
// on every tap, then saves the change to the server in the background.
var api = require('../../lib/api.js');
var pricing = require('../../lib/pricing.js');
var money = require('../../lib/money.js');

// Line errors that no quantity change can fix: shown under 失效商品.
var DEAD = { UNKNOWN_SKU: 1, OFF_SHELF: 1, ACTIVITY_NOT_FOUND: 1, ACTIVITY_ENDED: 1, ACTIVITY_NOT_STARTED: 1 };
var MAX_QTY = 9999;

function isDead(err) {
  if (!err) return false;
  if (DEAD[err.code]) return true;
  return err.code === 'OUT_OF_STOCK' && err.details && err.details.available === 0;
}

Component({
  data: {
    loading: true,
    error: '',
    items: [],
    deadItems: [],
    allSelected: false,
    selectedCount: 0,
    totalText: money.format(0),
    discountText: '',
    couponHints: [],
    campaignHints: [],
    empty: false,
    recsReload: 0,
  },

  methods: {
    onLoad: function () {
      this._input = null;
      this._items = [];
      this._sync = Promise.resolve();
    },

    onShow: function () {
      // 猜你喜欢 follows the cart: asked again on every return but the first.
      if (this._shown) this.setData({ recsReload: this.data.recsReload + 1 });
      this._shown = true;
      return this.load();
    },

    onPullDownRefresh: function () {
      var self = this;
      return this.load().then(function () { wx.stopPullDownRefresh(); });
    },

    load: function () {
      var self = this;
      if (!this._sync) this._sync = Promise.resolve();
      return Promise.all([api.get('/api/cart'), pricing.fetchInput({})])
        .then(function (r) {
          self._items = r[0].items;
          self._input = r[1];
          // The cart is priced as the cart page shows it: best coupons, no delivery.
          self._input.options = { coupons: { kind: 'best' }, points: { kind: 'none' }, delivery: null };
          return self.reprice();
        })
        .catch(function (e) {
          self.setData({ loading: false, error: e.message || '加载失败' });
          api.showError(e);
        });
    },

    inputLine: function (id) {
      var lid = String(id);
      var lines = this._input.lines;
      for (var i = 0; i < lines.length; i++) if (lines[i].lineId === lid) return lines[i];
      return null;
    },

    // Quote the current input with the wasm core and render it.
    reprice: function () {
      var self = this;
      return pricing.quote(this._input).then(function (q) {
        self._quote = q;
        self.render(q);
        return q;
      }).catch(function (e) {
        self.setData({ loading: false });
        api.showError(e);
      });
    },

    render: function (q) {
      var input = this._input;
      var priced = {};
      q.lines.forEach(function (l) { priced[l.lineId] = l; });
      var issues = {};
      q.invalidLines.forEach(function (l) { issues[l.lineId] = l.error; });
      var stock = {};
      input.catalog.forEach(function (s) { stock[s.skuId] = s.stock; });

      var items = [];
      var dead = [];
      var self = this;
      this._items.forEach(function (it) {
        var lid = String(it.id);
        var line = self.inputLine(lid);
        if (!line) return;
        var p = priced[lid];
        var err = issues[lid];
        var unit = p ? p.unitPrice : it.listPrice;
        var available = stock[String(it.skuId)];
        var max = Math.min(MAX_QTY, typeof available === 'number' && available > 0 ? available : MAX_QTY);
        var view = {
          id: it.id,
          productId: it.productId,
          title: it.title,
          specsText: (it.specs || []).join(' / '),
          image: it.image,
          quantity: line.quantity,
          selected: line.selected !== false,
          priceText: typeof unit === 'number' ? money.format(unit) : '',
          listPriceText: p && p.unitPrice < p.listPrice ? money.format(p.listPrice) : '',
          priceTag: p && p.priceSource === 'member' ? '会员价' : p && p.priceSource === 'flashSale' ? '秒杀价' : '',
          reason: err ? err.message : '',
          canMinus: line.quantity > 1,
          canPlus: line.quantity < max,
        };
        if (isDead(err)) dead.push(view);
        else items.push(view);
      });

      var count = 0;
      q.lines.forEach(function (l) { count += l.quantity; });
      var saved = q.listTotal - q.goodsNet;
      this.setData({
        loading: false,
        error: '',
        items: items,
        deadItems: dead,
        empty: items.length === 0 && dead.length === 0,
        allSelected: items.length > 0 && items.every(function (i) { return i.selected; }),
        selectedCount: count,
        totalText: money.format(q.payable),
        discountText: saved > 0 ? '已优惠' + money.format(saved) : '',
        couponHints: pricing.couponHints(input, q),
        campaignHints: pricing.campaignHints(q),
      });
    },

    // Save a change on the server, in order; a failure reloads the cart.
    save: function (fn) {
      var self = this;
      this._sync = this._sync.then(fn).catch(function (e) {
        api.showError(e);
        return self.load();
      });
      return this._sync;
    },

    onToggle: function (e) {
      var id = e.currentTarget.dataset.id;
      var line = this.inputLine(id);
      if (!line) return null;
      line.selected = line.selected === false;
      var selected = line.selected;
      this.reprice();
      return this.save(function () { return api.patch('/api/cart/items/' + id, { selected: selected }); });
    },

    onSelectAll: function () {
      var selected = !this.data.allSelected;
      var self = this;
      this.data.items.forEach(function (it) { self.inputLine(it.id).selected = selected; });
      this.reprice();
      return this.save(function () { return api.post('/api/cart/selection', { selected: selected }); });
    },

    onStep: function (e) {
      var id = e.currentTarget.dataset.id;
      var delta = Number(e.currentTarget.dataset.delta);
      var line = this.inputLine(id);
      if (!line) return null;
      var qty = line.quantity + delta;
      if (qty < 1) return this.onRemove(e);
      if (delta > 0 && !this.canAdd(line, qty)) return null;
      line.quantity = qty;
      this.reprice();
      return this.save(function () { return api.patch('/api/cart/items/' + id, { quantity: qty }); });
    },

    canAdd: function (line, qty) {
      if (qty > MAX_QTY) return false;
      var sku = this._input.catalog.filter(function (s) { return s.skuId === line.skuId; })[0];
      if (sku && qty > sku.stock) {
        wx.showToast({ title: '库存不足，仅剩' + sku.stock + '件', icon: 'none' });
        return false;
      }
      return true;
    },

    onRemove: function (e) {
      var id = e.currentTarget.dataset.id;
      var self = this;
      return new Promise(function (resolve) {
        wx.showModal({
          title: '删除商品',
          content: '确定从购物车删除该商品吗？',
          success: function (r) { resolve(!!r.confirm); },
          fail: function () { resolve(false); },
        });
      }).then(function (ok) {
        if (!ok) return null;
        return self.removeLines([id]);
      });
    },

    onClearDead: function () {
      return this.removeLines(this.data.deadItems.map(function (i) { return i.id; }));
    },

    removeLines: function (ids) {
      var self = this;
      var drop = {};
      ids.forEach(function (id) { drop[String(id)] = true; });
      this._input.lines = this._input.lines.filter(function (l) { return !drop[l.lineId]; });
      this._items = this._items.filter(function (i) { return !drop[String(i.id)]; });
      this.reprice();
      return this.save(function () {
        return Promise.all(ids.map(function (id) { return api.del('/api/cart/items/' + id); }));
      });
    },

    onOpenProduct: function (e) {
      var pid = e.currentTarget.dataset.pid;
      if (pid) wx.navigateTo({ url: '/pages/product/index?id=' + pid });
    },

    onCheckout: function () {
      if (!this.data.selectedCount) {
        wx.showToast({ title: '请选择要结算的商品', icon: 'none' });
        return;
      }
      if (this.data.items.some(function (i) { return i.selected && i.reason; })) {
        wx.showToast({ title: '请先调整标红的商品', icon: 'none' });
        return null;
      }
      var go = function () { wx.navigateTo({ url: '/pkg-order/checkout/index' }); };
      // 失效商品 cannot be bought, and the server refuses an order with a
      // selected one: leave them out (deselect, saved) before checking out.
      var self = this;
      var dead = this.data.deadItems.filter(function (i) { return i.selected; }).map(function (i) { return i.id; });
      if (!dead.length) return go();
      dead.forEach(function (id) { var l = self.inputLine(id); if (l) l.selected = false; });
      this.reprice();
      return this.save(function () {
        return Promise.all(dead.map(function (id) { return api.patch('/api/cart/items/' + id, { selected: false }); })).then(go);
      });
    },

    onGoShopping: function () {
      wx.switchTab({ url: '/pages/home/index' });
    },
  },
});
