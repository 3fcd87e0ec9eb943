// 我的拼团: the shopper's groups, newest first, each with its progress;
// a tap opens the group.
var group = require('../../lib/group.js');
var paged = require('../../lib/paged.js');

Component({
  data: { items: [], loading: true, done: false },

  methods: Object.assign(paged.methods('/api/member/groups', function (g) {
    return {
      groupId: g.groupId,
      title: g.productTitle,
      image: g.image,
      role: g.role === 'leader' ? '我开的团' : '我参的团',
      headline: group.headline(g.progress, false),
      timeLeft: group.timeLeft(g.progress),
    };
  }), {
    onOpen: function (e) {
      wx.navigateTo({ url: '/pkg-activity/group/index?id=' + e.currentTarget.dataset.id });
    },
  }),
});
