// 搜索: hot words, the shopper's history (server side), suggestions as they type.
var api = require('../../lib/api.js');
var track = require('../../lib/track.js');
var util = require('../../lib/util.js');

var SUGGEST_DELAY = 250;

Component({
  data: { keyword: '', hot: [], history: [], suggestions: [] },
  methods: {
    onLoad: function () {
      var self = this;
      this._timer = null;
      this._seq = 0;
      api.get('/api/search/hot', { auth: 'none' }).then(function (r) { self.setData({ hot: r.words }); }, function () {});
      // History needs the session; a failure only hides it.
      return api.get('/api/search/history').then(function (r) { self.setData({ history: r.keywords }); }, function () {});
    },
    onUnload: function () { if (this._timer) clearTimeout(this._timer); },

    onInput: function (e) {
      var q = e.detail.value;
      var self = this;
      this.setData({ keyword: q });
      if (this._timer) clearTimeout(this._timer);
      if (!q.trim()) {
        this.setData({ suggestions: [] });
        return;
      }
      var seq = ++this._seq;
      this._timer = setTimeout(function () {
        api.get('/api/search/suggest', { auth: 'optional', query: { q: q.trim() } }).then(function (r) {
          if (seq === self._seq) self.setData({ suggestions: r.suggestions });
        }, function () {});
      }, SUGGEST_DELAY);
    },

    go: function (keyword) {
      keyword = (keyword || '').trim();
      if (!keyword) {
        wx.showToast({ title: '请输入搜索内容', icon: 'none' });
        return;
      }
      track.track('search', { keyword: keyword.slice(0, 50) });
      var history = [keyword].concat(this.data.history.filter(function (k) { return k !== keyword; })).slice(0, 10);
      this.setData({ history: history, suggestions: [] });
      wx.navigateTo({ url: '/pages/list/index?' + util.query({ keyword: keyword }) });
    },
    onConfirm: function () { this.go(this.data.keyword); },
    onWord: function (e) { this.go(e.currentTarget.dataset.word); },

    onClearHistory: function () {
      var self = this;
      return api.del('/api/search/history').then(function () { self.setData({ history: [] }); }, api.showError);
    },
  },
});
