// 拼团 on the phone: what a group's progress says (还差N人成团, time left,
// 系统成团), its seats (real members, then empty seats — never invented
// avatars), and the hand-over to checkout for opening or joining a group.
'use strict';
var util = require('./util.js');
var store = require('./store.js');

var STATUS = {
  pending: '待团长支付',
  open: '拼团中',
  success: '拼团成功',
  autoSuccess: '系统成团',
  failed: '拼团未成功，已原路退款',
  cancelled: '已取消',
};

/** The headline of a group from the server's progress (the core's GroupProgress). */
function headline(progress, autoFormed) {
  if (progress.status === 'open') {
    if (progress.secondsLeft <= 0) return '等待成团结果';
    return '还差' + progress.needed + '人成团';
  }
  if (progress.status === 'autoSuccess' || autoFormed) return STATUS.autoSuccess + '（' + progress.paid + '人）';
  return STATUS[progress.status] || progress.status;
}

/** 剩余 hh:mm:ss while open, else ''. */
function timeLeft(progress) {
  return progress.status === 'open' && progress.secondsLeft > 0 ? '剩余 ' + util.countdown(progress.secondsLeft) : '';
}

/** The members in seat order, then one empty seat per place still free while the group is open. */
function seats(members, progress) {
  var out = members.map(function (m, i) {
    var initial = (m.nickname || '').charAt(0) || '拼';
    return { key: 'm' + i, avatar: m.avatar, nickname: m.nickname, initial: initial, leader: m.role === 'leader', waiting: !m.paid, empty: false };
  });
  if (progress.status === 'open') {
    for (var i = members.length; i < progress.size; i++) out.push({ key: 'e' + i, empty: true });
  }
  return out;
}

/**
 * Hand a group-buy line to the checkout: open a new group (no groupId) or join one.
 * item: {skuId, activityId, title, specs, image}
 */
function toCheckout(item, groupId, shareToken) {
  store.buyNow = [Object.assign({ quantity: 1 }, item)];
  var group = {};
  if (groupId) group.groupId = groupId;
  if (shareToken) group.shareToken = shareToken;
  store.group = group;
  wx.navigateTo({ url: '/pkg-order/checkout/index?mode=buynow' });
}

module.exports = { STATUS: STATUS, headline: headline, timeLeft: timeLeft, seats: seats, toCheckout: toCheckout };
