// 分类: two levels, top level on the left, its children on the right.
var api = require('../../lib/api.js');
var util = require('../../lib/util.js');

Component({
  data: { tree: [], active: 0, children: [], loading: true },
  methods: {
    onLoad: function () {
      var self = this;
      return api.get('/api/categories', { auth: 'none' }).then(function (tree) {
        self._tree = tree;
        self.setData({
          loading: false,
          tree: tree.map(function (c) { return { id: c.id, name: c.name }; }),
          active: 0,
          children: tree.length ? tree[0].children : [],
        });
      }, function (e) {
        self.setData({ loading: false });
        api.showError(e);
      });
    },
    onTop: function (e) {
      var i = Number(e.currentTarget.dataset.index);
      this.setData({ active: i, children: this._tree[i].children });
    },
    onChild: function (e) {
      var d = e.currentTarget.dataset;
      wx.navigateTo({ url: '/pages/list/index?' + util.query({ categoryId: d.id, title: d.name }) });
    },
    onAll: function () {
      var top = this._tree[this.data.active];
      wx.navigateTo({ url: '/pages/list/index?' + util.query({ categoryId: top.id, title: top.name }) });
    },
    onSearch: function () { wx.navigateTo({ url: '/pages/search/index' }); },
  },
});
