// 确认订单: the server answers the exact core input it would price
// (POST /api/checkout/input); delivery, coupons and points are changed on that
// input locally and priced by the wasm core on the phone. Submitting sends the
// quote's fingerprint; PRICE_CHANGED shows the server's new total to confirm.
// A placed order goes straight to payment (lib/pay.js), then to its detail
// page, which shows the status the server has (paid, or still 待付款).
var api = require('../../lib/api.js');
var subscribe = require('../../lib/subscribe.js');
var flash = require('../../lib/flash.js');
var track = require('../../lib/track.js');
var pay = require('../../lib/pay.js');
var pricing = require('../../lib/pricing.js');
var money = require('../../lib/money.js');
var util = require('../../lib/util.js');
var store = require('../../lib/store.js');
var config = require('../../config.js');

var FREE_REASON = { member: '会员包邮', threshold: '满额包邮', coupon: '免邮券', pickup: '自提免运费' };

Component({
  data: {
    loading: true,
    fatal: '',
    methods: [],
    method: 'express',
    address: null,
    addresses: [],
    showAddresses: false,
    stores: [],
    storeId: '',
    distanceText: '',
    lines: [],
    issues: [],
    deliveryError: '',
    couponText: '',
    coupons: [],
    unusableCoupons: [],
    showCoupons: false,
    pointsOn: false,
    pointsText: '',
    pointsAvailable: false,
    summary: [],
    totalText: '',
    priceNotice: '',
    submitting: false,
    queueText: '',
    paying: false,
    canSubmit: false,
    remark: '',
  },

  methods: {
    onLoad: function (query) {
      this._buyNow = query && query.mode === 'buynow' ? store.buyNow : null;
      // 拼团: open a new group ({}) or join one ({groupId, shareToken}).
      this._group = this._buyNow ? store.group : null;
      this._key = util.idempotencyKey();
      this._display = {};
      this._choice = { coupons: { kind: 'best' }, points: { kind: 'none' } };
      this._distance = null;
      track.track('checkout_start', {});
      return this.load();
    },

    body: function () {
      var b = { coupons: this._choice.coupons, points: this._choice.points };
      if (this._buyNow) {
        b.items = this._buyNow.map(function (i) {
          // 砍价: the line carries its bargainId (the server prices it), never activityId too.
          if (i.bargainId) return { skuId: i.skuId, quantity: i.quantity, bargainId: i.bargainId };
          return { skuId: i.skuId, quantity: i.quantity, activityId: i.activityId || null };
        });
      }
      if (this._group) b.group = this._group;
      var m = this.data.method;
      if (m === 'express' && this.data.address) b.addressId = this.data.address.id;
      if (m === 'pickup' && this.data.storeId) b.delivery = { kind: 'pickup', storeId: this.data.storeId };
      if (m === 'sameCity' && this._distance !== null) b.delivery = { kind: 'sameCity', distanceMeters: this._distance };
      return b;
    },

    delivery: function () {
      var m = this.data.method;
      if (m === 'express') return this.data.address ? { kind: 'express', regionCode: this.data.address.regionCode } : null;
      if (m === 'pickup') return this.data.storeId ? { kind: 'pickup', storeId: this.data.storeId } : null;
      return this._distance !== null ? { kind: 'sameCity', distanceMeters: this._distance } : null;
    },

    load: function () {
      var self = this;
      var display = this._buyNow
        ? Promise.resolve(this._buyNow.map(function (i, n) { return Object.assign({ lineId: 'b' + (n + 1) }, i); }))
        : api.get('/api/cart').then(function (c) {
          return c.items.map(function (i) { return { lineId: String(i.id), title: i.title, specs: i.specs, image: i.image }; });
        });
      return Promise.all([api.get('/api/addresses'), display])
        .then(function (r) {
          var addresses = r[0];
          r[1].forEach(function (d) { self._display[d.lineId] = d; });
          var address = addresses.filter(function (a) { return a.isDefault; })[0] || addresses[0] || null;
          self.setData({ addresses: addresses, address: address });
          return pricing.fetchInput(self.body());
        })
        .then(function (input) {
          self._input = input;
          var ship = (input.rules && input.rules.shipping) || {};
          var methods = [];
          if (ship.express && ship.express.length) methods.push({ key: 'express', name: '快递配送' });
          if (ship.pickupStores && ship.pickupStores.length) methods.push({ key: 'pickup', name: '到店自提' });
          if (ship.sameCity && config.store) methods.push({ key: 'sameCity', name: '同城配送' });
          var stores = (ship.pickupStores || []).map(function (id) {
            return { id: id, name: (config.pickupStoreNames && config.pickupStoreNames[id]) || id };
          });
          self.setData({
            methods: methods,
            method: methods.length ? methods[0].key : '',
            stores: stores,
            storeId: stores.length ? stores[0].id : '',
          });
          return self.reprice();
        })
        .catch(function (e) {
          self.setData({ loading: false, fatal: e.message || '加载失败' });
          api.showError(e);
        });
    },

    // Price the current choice with the wasm core. A failing hand-picked coupon
    // set is reverted to the previous choice; a delivery failure is shown inline.
    reprice: function (previousChoice) {
      var self = this;
      var input = this._input;
      input.options = { coupons: this._choice.coupons, points: this._choice.points, delivery: this.delivery() };
      return pricing.quote(input).then(function (q) {
        var alt = null;
        if (self._choice.points.kind === 'none' && input.rules && input.rules.points) {
          var o = pricing.clone(input.options);
          o.points = { kind: 'max' };
          alt = pricing.quote(Object.assign({}, input, { options: o })).catch(function () { return null; });
        }
        return Promise.resolve(alt).then(function (maxQ) {
          self._quote = q;
          self.render(q, maxQ);
          return q;
        });
      }).catch(function (e) {
        if (previousChoice && /^COUPON_|^POINTS_/.test(e.code || '')) {
          wx.showToast({ title: e.message, icon: 'none' });
          self._choice = previousChoice;
          return self.reprice();
        }
        self._quote = null;
        self.setData({ loading: false, deliveryError: e.message || '无法计算价格', canSubmit: false, totalText: '--' });
        return null;
      });
    },

    render: function (q, maxQ) {
      var self = this;
      var input = this._input;
      var lines = q.lines.map(function (l) {
        var d = self._display[l.lineId] || {};
        return {
          lineId: l.lineId,
          title: d.title || '商品',
          specsText: (d.specs || []).join(' / '),
          image: d.image || '',
          quantity: l.quantity,
          priceText: money.format(l.unitPrice),
          tag: l.priceSource === 'member' ? '会员价' : l.priceSource === 'flashSale' ? '秒杀价' : '',
        };
      });
      var issues = q.invalidLines.filter(function (i) { return i.selected; }).map(function (i) {
        var d = self._display[i.lineId] || {};
        return { lineId: i.lineId, title: d.title || i.skuId, reason: i.error.message };
      });

      var sum = function (kinds) {
        return q.discounts.filter(function (d) { return kinds.indexOf(d.kind) >= 0; })
          .reduce(function (n, d) { return n + d.amount; }, 0);
      };
      var summary = [{ key: 'goods', label: '商品金额', value: money.format(q.goodsTotal) }];
      if (q.itemDiscount) summary.push({ key: 'promo', label: '促销优惠', value: '-' + money.format(q.itemDiscount) });
      var campaign = sum(['campaign']);
      if (campaign) summary.push({ key: 'campaign', label: '满减', value: '-' + money.format(campaign) });
      var coupon = sum(['shopCoupon', 'platformCoupon']);
      if (coupon) summary.push({ key: 'coupon', label: '优惠券', value: '-' + money.format(coupon) });
      if (q.shipping) {
        var reason = q.shipping.shops.map(function (s) { return s.freeReason; }).filter(Boolean)[0];
        summary.push({
          key: 'shipping',
          label: '运费',
          value: q.shipping.payable === 0 && q.shipping.fee > 0 ? '免运费' : money.format(q.shipping.payable),
          note: reason && FREE_REASON[reason] ? FREE_REASON[reason] : '',
        });
      }
      if (q.points.deduction) summary.push({ key: 'points', label: '积分抵扣', value: '-' + money.format(q.points.deduction) });

      // Coupons: applied and available are selectable; unusable ones show why.
      var applied = {};
      q.coupons.applied.forEach(function (a) { applied[a.couponId] = a.amount; });
      var wallet = (input.buyer && input.buyer.coupons) || [];
      var usableIds = q.coupons.applied.map(function (a) { return a.couponId; }).concat(q.coupons.available);
      var coupons = usableIds.map(function (id) {
        var c = wallet.filter(function (w) { return w.couponId === id; })[0] || {};
        return {
          couponId: id,
          title: c.title || '优惠券',
          until: util.date(c.validUntil),
          checked: applied[id] !== undefined,
          amountText: applied[id] !== undefined ? '-' + money.format(applied[id]) : '',
        };
      });
      var unusable = q.coupons.unusable.map(function (u) {
        return { couponId: u.couponId, title: pricing.couponTitle(input, u.couponId), reason: u.error.message };
      });
      var couponText = coupon || q.coupons.applied.length
        ? '已选' + q.coupons.applied.length + '张' + (coupon ? ' -' + money.format(coupon) : '')
        : usableIds.length ? usableIds.length + '张可用' : '暂无可用';
      if (q.coupons.mode === 'none' && usableIds.length) couponText = '不使用优惠券';

      var pointsRule = input.rules && input.rules.points;
      var maxPts = this._choice.points.kind === 'max' ? q.points : maxQ && maxQ.points;
      var pointsAvailable = !!(pointsRule && maxPts && maxPts.used > 0);
      var pointsText = pointsAvailable
        ? '可用' + maxPts.used + '积分抵' + money.format(maxPts.deduction)
        : '暂无可用积分';

      var hasDelivery = !!q.shipping;
      this.setData({
        loading: false,
        deliveryError: '',
        lines: lines,
        issues: issues,
        summary: summary,
        coupons: coupons,
        unusableCoupons: unusable,
        couponText: couponText,
        pointsOn: this._choice.points.kind === 'max',
        pointsAvailable: pointsAvailable,
        pointsText: pointsText,
        totalText: money.format(q.payable),
        canSubmit: hasDelivery && lines.length > 0 && issues.length === 0,
      });
    },

    onMethod: function (e) {
      var key = e.currentTarget.dataset.key;
      var self = this;
      this.setData({ method: key, priceNotice: '' });
      if (key === 'sameCity' && this._distance === null) {
        return new Promise(function (resolve) {
          wx.getLocation({
            type: 'gcj02',
            success: function (loc) {
              self._distance = util.distanceMeters(config.store, loc);
              var km = Math.floor(self._distance / 100);
              self.setData({ distanceText: '距门店' + Math.floor(km / 10) + '.' + (km % 10) + 'km' });
              resolve(self.reprice());
            },
            fail: function () {
              wx.showToast({ title: '需要位置权限才能计算同城配送费', icon: 'none' });
              resolve(self.reprice());
            },
          });
        });
      }
      return this.reprice();
    },

    onAddressCell: function () {
      return this.data.addresses.length ? this.onToggleAddresses() : this.onAddAddress();
    },

    onToggleAddresses: function () {
      this.setData({ showAddresses: !this.data.showAddresses });
    },

    onPickAddress: function (e) {
      var id = e.currentTarget.dataset.id;
      var a = this.data.addresses.filter(function (x) { return x.id === id; })[0];
      this.setData({ address: a, showAddresses: false });
      return this.reprice();
    },

    onStore: function (e) {
      this.setData({ storeId: e.currentTarget.dataset.id });
      return this.reprice();
    },

    // 微信收货地址 → saved on the server → used for this order.
    onAddAddress: function () {
      var self = this;
      return new Promise(function (resolve) {
        wx.chooseAddress({
          success: function (a) {
            resolve(api.post('/api/addresses', {
              name: a.userName,
              phone: a.telNumber,
              regionCode: a.nationalCode,
              province: a.provinceName,
              city: a.cityName,
              district: a.countyName,
              detail: a.detailInfo,
              isDefault: self.data.addresses.length === 0,
            }).then(function (saved) {
              self.setData({ addresses: [saved].concat(self.data.addresses), address: saved, showAddresses: false });
              return self.reprice();
            }, api.showError));
          },
          fail: function () { resolve(null); },
        });
      });
    },

    onToggleCoupons: function () {
      this.setData({ showCoupons: !this.data.showCoupons });
    },

    onCoupon: function (e) {
      var id = e.currentTarget.dataset.id;
      var ids = this.data.coupons.filter(function (c) { return c.checked; }).map(function (c) { return c.couponId; });
      var i = ids.indexOf(id);
      if (i >= 0) ids.splice(i, 1);
      else ids.push(id);
      var prev = this._choice;
      this._choice = { coupons: ids.length ? { kind: 'manual', couponIds: ids } : { kind: 'none' }, points: prev.points };
      return this.reprice(prev);
    },

    onNoCoupon: function () {
      this._choice = { coupons: { kind: 'none' }, points: this._choice.points };
      this.setData({ showCoupons: false });
      return this.reprice();
    },

    onBestCoupons: function () {
      this._choice = { coupons: { kind: 'best' }, points: this._choice.points };
      this.setData({ showCoupons: false });
      return this.reprice();
    },

    onPoints: function () {
      if (!this.data.pointsAvailable && !this.data.pointsOn) return null;
      var prev = this._choice;
      this._choice = { coupons: prev.coupons, points: { kind: prev.points.kind === 'max' ? 'none' : 'max' } };
      return this.reprice(prev);
    },

    onRemark: function (e) {
      this.setData({ remark: e.detail.value });
    },

    onSubmit: function () {
      if (this.data.submitting) return null;
      if (!this._quote) return null;
      if (this.data.method === 'express' && !this.data.address) {
        wx.showToast({ title: '请选择收货地址', icon: 'none' });
        return null;
      }
      if (!this.data.canSubmit) {
        wx.showToast({ title: this.data.deliveryError || '请检查订单信息', icon: 'none' });
        return null;
      }
      return this.submit(this._quote.fingerprint);
    },

    submit: function (fingerprint) {
      var self = this;
      // 订阅消息 asked in the 提交订单 tap, while the order is placed; the
      // payment sheet opens once the shopper answered.
      var asked = subscribe.ask('pay');
      var body = this.body();
      body.fingerprint = fingerprint;
      body.idempotencyKey = this._key;
      body.remark = this.data.remark;
      this.setData({ submitting: true, queueText: '' });
      // 秒杀: 排队中 is repeated automatically (a few times, the server's wait
      // apart), and a lost answer once with X-Mall-Retry: same key, same order.
      var send = function (header) { return api.post('/api/orders', body, header ? { header: header } : undefined); };
      var queued = function (n) { self.setData({ queueText: '排队中，正在第' + n + '次重试…' }); };
      return flash.placeOrder(send, flash.sleep, queued).then(function (order) {
        self.setData({ queueText: '' });
        store.buyNow = null;
        store.group = null;
        self.setData({ paying: true });
        var open = function (result) {
          self.setData({ submitting: false, paying: false });
          var url = '/pkg-order/detail/index?id=' + order.id;
          // Not paid (yet): the order page says why and offers 去支付 again.
          wx.redirectTo({ url: result === 'paid' ? url : url + '&pay=' + result });
          return order;
        };
        return asked.then(function () { return pay.payOrder(order.id); }).then(function (r) {
          if (r.result === 'paid') wx.showToast({ title: r.message, icon: 'success' });
          return open(r.result);
        }, function (e) {
          api.showError(e);
          return open('failed');
        });
      }, function (e) {
        self.setData({ submitting: false, queueText: '' });
        if (e.code === 'PRICE_CHANGED' && e.details && e.details.quote) return self.priceChanged(e.details.quote);
        api.showError(e);
        return null;
      });
    },

    // The server priced differently (stock, prices, coupons changed since the
    // input was read): show its total and submit again only when confirmed.
    priceChanged: function (serverQuote) {
      var self = this;
      var before = this.data.totalText;
      var after = money.format(serverQuote.payable);
      this.setData({ totalText: after, priceNotice: '订单金额已由' + before + '变为' + after + '，请确认' });
      return new Promise(function (resolve) {
        wx.showModal({
          title: '订单金额有变化',
          content: '应付金额由' + before + '变为' + after + '，是否继续提交订单？',
          confirmText: '继续提交',
          success: function (r) { resolve(!!r.confirm); },
          fail: function () { resolve(false); },
        });
      }).then(function (ok) {
        if (ok) return self.submit(serverQuote.fingerprint);
        // Declined: start again from the server's current input.
        return pricing.fetchInput(self.body()).then(function (input) {
          self._input = input;
          return self.reprice();
        }, api.showError);
      });
    },
  },
});
