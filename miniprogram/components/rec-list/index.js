// 为你推荐 / 猜你喜欢: a slot's recommendations (GET /api/recommendations),
// each with its reason (因为你看过「…」, 热销好物). Shown products are sent
// as rec_impression once per load, a tap as rec_click, so the console sees
// each slot's click-through and conversion. A server without the route, or
// an empty answer, shows nothing: the page around it works as before.
var api = require('../../lib/api.js');
var track = require('../../lib/track.js');
var money = require('../../lib/money.js');

Component({
  properties: {
    // the slot: home | product | cart (`slot` itself is WeChat's own attribute)
    place: { type: String, value: 'home' },
    // the product on screen (slot product)
    productId: { type: Number, value: 0 },
    count: { type: Number, value: 6 },
    title: { type: String, value: '猜你喜欢' },
    // the page changes it to ask again (the cart after an edit)
    reload: { type: Number, value: 0 },
  },

  data: { items: [] },

  observers: {
    'place, productId, reload': function () { this.load(); },
  },

  lifetimes: {
    attached: function () { this.load(); },
  },

  methods: {
    load: function () {
      var self = this;
      var slot = this.properties.place;
      var pid = this.properties.productId;
      if (slot === 'product' && !pid) return Promise.resolve();
      var key = [slot, pid, this.properties.reload].join(':');
      if (this._key === key) return this._loading || Promise.resolve();
      this._key = key;
      var query = { slot: slot, count: this.properties.count };
      if (slot === 'product') query.productId = pid;
      // Below the cart the list depends on the cart: ask as its owner (the
      // page logs in anyway; one login is shared). Elsewhere a guest gets best sellers.
      var auth = slot === 'cart' ? 'user' : 'optional';
      this._loading = api.get('/api/recommendations', { auth: auth, query: query })
        .then(function (res) {
          if (self._key !== key) return;
          var items = (res.items || []).map(function (p) {
            return { id: p.id, title: p.title, image: p.image, priceText: money.format(p.price), reason: p.reason.text, kind: p.reason.kind };
          });
          self.setData({ items: items });
          items.forEach(function (p) { track.track('rec_impression', { slot: slot, productId: p.id }); });
        }, function () {
          if (self._key === key) self.setData({ items: [] });
        });
      return this._loading;
    },

    onTap: function (e) {
      var id = Number(e.currentTarget.dataset.id);
      track.track('rec_click', { slot: this.properties.place, productId: id });
      wx.navigateTo({ url: '/pages/product/index?id=' + id });
    },
  },
});
