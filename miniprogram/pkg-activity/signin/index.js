// 签到: this month's calendar (signed days, today), the live streak, today's
// reward and tomorrow's (明天签到可得…) with the next streak bonus — computed
// by the core's signinReward from the merchant's rule, as the server rewards.
// 签到 posts; the server signs once a Beijing day, so a second tap answers
// the same reward and the page says 今日已签到.
var api = require('../../lib/api.js');
var errors = require('../../lib/errors.js');
var pricing = require('../../lib/pricing.js');
var signin = require('../../lib/signin.js');

Component({
  data: { loading: true, v: null, disabledText: '' },

  methods: {
    onLoad: function () {
      return this.load();
    },

    load: function () {
      var self = this;
      var core = pricing.init().catch(function () { return null; });
      return Promise.all([api.get('/api/signin'), core]).then(function (r) {
        var v = signin.view(r[0], r[1]);
        self.setData({ loading: false, v: v, disabledText: v.enabled ? '' : errors.message({ code: 'SIGNIN_DISABLED' }) });
      }, function (e) {
        self.setData({ loading: false });
        errors.show(e);
      });
    },

    onSignin: function () {
      var self = this;
      if (this._busy || !this.data.v || !this.data.v.enabled) return null;
      this._busy = true;
      return api.post('/api/signin', {}).then(function (s) {
        var title = s.already ? '今日已签到' : '签到成功 +' + signin.rewardText(s);
        wx.showToast({ title: title, icon: s.already ? 'none' : 'success' });
      }, errors.show).then(function () {
        self._busy = false;
        return self.load();
      });
    },

    onCenter: function () {
      wx.navigateTo({ url: '/pkg-activity/coupons/index' });
    },
  },
});
