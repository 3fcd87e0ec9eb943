// 我的砍价: the shopper's bargains, newest first, each with 已砍 and 还差k人 of N;
// a tap opens the bargain.
var bargain = require('../../lib/bargain.js');
var paged = require('../../lib/paged.js');

Component({
  data: { items: [], loading: true, done: false },

  methods: Object.assign(paged.methods('/api/bargains', function (b) {
    return {
      id: b.id,
      title: b.productTitle,
      image: b.image,
      status: bargain.STATUS[b.status] || b.status,
      cut: bargain.cutText(b.progress),
      headline: bargain.headline(b.progress),
    };
  }), {
    onOpen: function (e) {
      wx.navigateTo({ url: '/pkg-activity/bargain/index?id=' + e.currentTarget.dataset.id });
    },
  }),
});
