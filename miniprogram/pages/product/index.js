// 商品详情: carousel, price (activity price from the server's activity data;
// member price from the rules core on the phone), SKU selector with stock per
// spec, add to cart / buy now, the review summary (count, 好评率, two latest)
// with a link to every review, and 分享 (open-type="share"). In a 拼团 group
// buy: 单独购买 at the list price or 发起拼团 at the group price (团长价 for the
// one who opens it), and the open groups one can join (还差N人成团).
var group = require('../../lib/group.js');
var share = require('../../lib/share.js');
var api = require('../../lib/api.js');
var track = require('../../lib/track.js');
var money = require('../../lib/money.js');
var pricing = require('../../lib/pricing.js');
var util = require('../../lib/util.js');
var store = require('../../lib/store.js');
var reviews = require('../../lib/reviews.js');

function nowSeconds() { return Math.floor(Date.now() / 1000); }

Component({
  data: {
    loading: true,
    notFound: false,
    product: null,
    specs: [],
    chosen: [],
    sku: null,
    priceText: '',
    listPriceText: '',
    memberPriceText: '',
    activity: null,
    stockText: '',
    quantity: 1,
    showSku: false,
    skuAction: '',
    reviews: null,
    groups: [],
    bargain: null,
  },

  methods: {
    onLoad: function (q) {
      var self = this;
      this._memberPrices = {};
      // A shared card (?id=…&share=…) or a scanned 小程序码 (?scene=<token>).
      return share.landing(q, 'product').then(function (l) {
        self._id = l.id;
        self._share = l.share;
        return api.get('/api/products/' + self._id, { auth: 'none' });
      }).then(function (p) {
        self._p = p;
        track.track('product_view', { productId: self._id });
        var chosen = p.specNames.map(function () { return ''; });
        // one spec combination only: preselect it
        var onSale = p.skus.filter(function (s) { return s.onShelf && s.stock > 0; });
        if (onSale.length === 1) chosen = onSale[0].specs.slice();
        self.setData({
          loading: false,
          product: { id: p.id, title: p.title, subtitle: p.subtitle, description: p.description, images: p.images, sales: p.sales },
          reviews: reviews.summary(p.reviewSummary),
        });
        self.choose(chosen);
        var groupBuy = (p.activities || []).some(function (a) { return a.kind === 'groupBuy'; });
        return Promise.all([self.loadMemberPrices(), groupBuy ? self.loadGroups() : null, self.loadBargain()]);
      }, function (e) {
        self.setData({ loading: false, notFound: e.code === 'NOT_FOUND' });
        api.showError(e);
      });
    },

    // The member price of every SKU, priced on the phone with the server's
    // input for this shopper (only when signed in; a failure just hides it).
    loadMemberPrices: function () {
      var self = this;
      if (!api.isLoggedIn()) return Promise.resolve();
      var items = this._p.skus.filter(function (s) { return s.onShelf && s.stock > 0; }).slice(0, 50)
        .map(function (s) { return { skuId: s.id, quantity: Math.max(1, s.minQuantity || 1) }; });
      if (!items.length) return Promise.resolve();
      return pricing.fetchInput({ items: items, coupons: { kind: 'none' } })
        .then(function (input) {
          input.options = { coupons: { kind: 'none' }, points: { kind: 'none' }, delivery: null };
          return pricing.quote(input);
        })
        .then(function (q) {
          q.lines.forEach(function (l) {
            if (l.priceSource === 'member' && l.unitPrice < l.listPrice) self._memberPrices[l.skuId] = l.unitPrice;
          });
          self.choose(self.data.chosen);
        })
        .catch(function () {});
    },

    // Open groups of this product one can join, soonest to expire first.
    loadGroups: function () {
      var self = this;
      return api.get('/api/products/' + this._id + '/groups', { auth: 'none' }).then(function (list) {
        self.setData({
          groups: list.map(function (g) {
            return {
              groupId: g.groupId,
              leader: g.leader.nickname || '拼团用户',
              avatar: g.leader.avatar,
              headline: group.headline(g.progress, false),
              timeLeft: group.timeLeft(g.progress),
            };
          }),
        });
      }, function () {});
    },

    // 砍价: a live bargain activity on one of this product's SKUs shows an entry
    // (start price → floor, N helpers disclosed); a failure just hides it.
    loadBargain: function () {
      var self = this;
      var id = Number(this._id);
      return api.get('/api/bargain-activities', { auth: 'none' }).then(function (r) {
        var a = (r.items || []).filter(function (x) { return x.productId === id; })[0];
        if (!a) return;
        self._bargain = a;
        self.setData({
          bargain: {
            id: a.id,
            title: a.title,
            floorText: money.format(a.floorPrice),
            startText: money.format(a.startPrice),
            helpersText: '邀请' + a.helpers + '位好友帮砍',
          },
        });
      }, function () {});
    },

    // Start a bargain, then open its page.
    onStartBargain: function () {
      var a = this._bargain;
      if (!a) return null;
      return api.post('/api/bargain-activities/' + a.id + '/start', {}).then(function (v) {
        wx.navigateTo({ url: '/pkg-activity/bargain/index?id=' + v.id });
      }, function (e) { api.showError(e); });
    },

    // 秒杀: the sale's own page shows every SKU's units left and the shopper's state.
    onFlash: function () {
      var a = this.data.activity;
      if (a && a.flashSale) wx.navigateTo({ url: '/pkg-activity/flash/index?id=' + encodeURIComponent(a.activityId) });
    },

    onJoinGroup: function (e) {
      wx.navigateTo({ url: '/pkg-activity/group/index?id=' + e.currentTarget.dataset.id });
    },

    activityFor: function (skuId) {
      var now = nowSeconds();
      var acts = this._p.activities || [];
      for (var i = 0; i < acts.length; i++) {
        var a = acts[i];
        var price = a.prices.filter(function (x) { return x.skuId === skuId; })[0];
        if (!price || now >= a.endsAt) continue;
        return {
          activityId: a.activityId,
          title: a.title,
          running: now >= a.startsAt,
          price: price.price,
          stock: price.stock,
          text: now >= a.startsAt ? '距结束 ' + util.countdown(a.endsAt - now) : util.datetime(a.startsAt) + ' 开始',
          limit: a.perUserLimit,
          groupBuy: a.kind === 'groupBuy',
          flashSale: a.kind === 'flashSale',
          groupSize: a.groupSize || 0,
          leaderPrice: typeof price.leaderPrice === 'number' ? price.leaderPrice : null,
        };
      }
      return null;
    },

    // Spec values: disabled when no on-shelf, in-stock SKU has it together
    // with the other specs already chosen.
    choose: function (chosen) {
      var p = this._p;
      var skus = p.skus.filter(function (s) { return s.onShelf; });
      var specs = p.specNames.map(function (spec, i) {
        return {
          name: spec.name,
          index: i,
          values: spec.values.map(function (v) {
            var ok = skus.some(function (s) {
              if (s.specs[i] !== v || s.stock <= 0) return false;
              return chosen.every(function (c, j) { return j === i || !c || s.specs[j] === c; });
            });
            return { value: v, on: chosen[i] === v, disabled: !ok };
          }),
        };
      });
      var complete = chosen.every(function (c) { return !!c; });
      var sku = complete ? skus.filter(function (s) { return s.specs.every(function (v, j) { return v === chosen[j]; }); })[0] || null : null;

      var act = sku ? this.activityFor(sku.id) : this.anyRunningActivity();
      var price;
      var listPrice = '';
      if (sku) {
        price = act && act.running ? money.format(act.price) : money.format(sku.listPrice);
        if (act && act.running) listPrice = money.format(sku.listPrice);
      } else if (act && act.running) {
        // No spec chosen yet during a sale: the lowest activity price, the list price struck.
        price = money.format(act.price) + (p.minPrice === p.maxPrice ? '' : '起');
        listPrice = money.format(p.minPrice);
      } else {
        price = p.minPrice === p.maxPrice ? money.format(p.minPrice) : money.format(p.minPrice) + '起';
      }
      var member = sku && this._memberPrices[String(sku.id)];
      var stock = sku ? (act && act.running && typeof act.stock === 'number' ? Math.min(act.stock, sku.stock) : sku.stock) : p.stock;
      var qty = Math.max(1, Math.min(this.data.quantity, stock || 1));
      this.setData({
        specs: specs,
        chosen: chosen,
        sku: sku ? { id: sku.id, image: sku.image, specsText: sku.specs.join(' / '), stock: stock, minQuantity: sku.minQuantity } : null,
        priceText: price,
        listPriceText: listPrice,
        memberPriceText: member && !(act && act.running) ? money.format(member) : '',
        activity: act,
        groupBuy: !!(act && act.running && act.groupBuy),
        alonePriceText: money.format(sku ? sku.listPrice : p.minPrice),
        openPriceText: act && act.groupBuy ? money.format(typeof act.leaderPrice === 'number' ? act.leaderPrice : act.price) : '',
        stockText: sku ? (stock > 0 ? '库存' + stock + '件' : '已售罄') : '请选择' + p.specNames.map(function (s) { return s.name; }).join(' '),
        quantity: qty,
      });
    },

    anyRunningActivity: function () {
      var now = nowSeconds();
      var a = (this._p.activities || []).filter(function (x) { return now >= x.startsAt && now < x.endsAt; })[0];
      return a ? { activityId: a.activityId, title: a.title, running: true, price: Math.min.apply(null, a.prices.map(function (x) { return x.price; })), text: '距结束 ' + util.countdown(a.endsAt - now), teaser: true, groupBuy: a.kind === 'groupBuy', flashSale: a.kind === 'flashSale', groupSize: a.groupSize || 0 } : null;
    },

    onSpec: function (e) {
      var d = e.currentTarget.dataset;
      var i = Number(d.index);
      var v = d.value;
      var spec = this.data.specs[i].values.filter(function (x) { return x.value === v; })[0];
      if (!spec || (spec.disabled && !spec.on)) return;
      var chosen = this.data.chosen.slice();
      chosen[i] = chosen[i] === v ? '' : v;
      this.choose(chosen);
    },

    onStep: function (e) {
      var q = this.data.quantity + Number(e.currentTarget.dataset.delta);
      var max = this.data.sku ? this.data.sku.stock : 1;
      if (this.data.activity && this.data.activity.running && this.data.activity.limit) max = Math.min(max, this.data.activity.limit);
      if (q < 1 || q > max) return;
      this.setData({ quantity: q });
    },

    onOpenSku: function (e) {
      this.setData({ showSku: true, skuAction: e.currentTarget.dataset.action || '' });
    },
    onCloseSku: function () { this.setData({ showSku: false }); },

    chosenItem: function () {
      var sku = this.data.sku;
      if (!sku) {
        this.setData({ showSku: true });
        wx.showToast({ title: this.data.stockText, icon: 'none' });
        return null;
      }
      if (sku.stock <= 0) {
        wx.showToast({ title: '该规格已售罄', icon: 'none' });
        return null;
      }
      var act = this.data.activity;
      // A group-buy price is bought by opening or joining a group, never alone.
      var inActivity = act && act.running && !act.teaser && !act.groupBuy;
      return { skuId: sku.id, quantity: this.data.quantity, activityId: inActivity ? act.activityId : null };
    },

    // 发起拼团: one unit at the group price (团长价 when set), to checkout as the leader.
    onOpenGroup: function () {
      var sku = this.data.sku;
      var act = this.data.activity;
      if (!sku) {
        this.setData({ showSku: true, skuAction: 'group' });
        wx.showToast({ title: this.data.stockText, icon: 'none' });
        return;
      }
      if (!act || !act.groupBuy || act.teaser || !act.running) return;
      var p = this._p;
      this.setData({ showSku: false });
      group.toCheckout({ skuId: sku.id, activityId: act.activityId, title: p.title, specs: this.data.chosen.slice(), image: sku.image || p.images[0] }, null, this._share);
    },

    onAddToCart: function () {
      var item = this.chosenItem();
      if (!item) return null;
      // A running flash sale is bought now (the server refuses it in the cart:
      // FLASH_BUY_NOW_ONLY), so its admission gate sees every buyer.
      var act = this.data.activity;
      if (item.activityId && act && act.flashSale) {
        wx.showToast({ title: '秒杀商品请直接抢购', icon: 'none' });
        return null;
      }
      var self = this;
      // Only the toast follows: no priced cart in the answer (204).
      return api.post('/api/cart/items', item, { header: { Prefer: 'return=minimal' } }).then(function () {
        track.track('add_to_cart', { productId: self._id, skuId: item.skuId, qty: item.quantity });
        self.setData({ showSku: false });
        wx.showToast({ title: '已加入购物车', icon: 'success' });
      }, api.showError);
    },

    onBuyNow: function () {
      var item = this.chosenItem();
      if (!item) return;
      var p = this._p;
      store.buyNow = [Object.assign({ title: p.title, specs: this.data.chosen.slice(), image: this.data.sku.image || p.images[0] }, item)];
      this.setData({ showSku: false });
      wx.navigateTo({ url: '/pkg-order/checkout/index?mode=buynow' });
    },

    onConfirmSku: function () {
      if (this.data.skuAction === 'group') return this.onOpenGroup();
      return this.data.skuAction === 'buy' ? this.onBuyNow() : this.onAddToCart();
    },

    onCart: function () { wx.switchTab({ url: '/pages/cart/index' }); },

    onAllReviews: function () {
      wx.navigateTo({ url: '/pages/reviews/index?id=' + this.data.product.id });
    },

    // The card carries the shopper's share token when one can be had within
    // WeChat's 3 s (the `promise` of onShareAppMessage); else the plain page.
    onShareAppMessage: function () {
      var p = this.data.product;
      if (!p) return {};
      var card = { title: p.title, path: '/pages/product/index?id=' + p.id, imageUrl: (this.data.sku && this.data.sku.image) || p.images[0] };
      if (!api.isLoggedIn()) return card;
      return Object.assign({}, card, {
        promise: api.post('/api/share', { kind: 'product', targetId: p.id }).then(function (s) {
          return Object.assign({}, card, { path: '/' + s.path });
        }, function () { return card; }),
      });
    },
  },
});
