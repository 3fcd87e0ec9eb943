// 砍价 on the phone: what a bargain's progress says (已砍¥X, 还差k人 of the
// disclosed N helpers — WeChat's rules want N stated, never hidden), its
// helpers and their cuts, a helping refusal in the server's words, and the
// hand-over to checkout (the line carries bargainId, never activityId).
// Every number here comes from the server's view (the core's bargainProgress);
// nothing is computed on money.
'use strict';
var util = require('./util.js');
var money = require('./money.js');
var store = require('./store.js');

var STATUS = {
  open: '砍价中',
  floor: '已砍到底价',
  ordered: '已下单',
  expired: '已过期',
};

/** The headline: 还差k人 (共需N人) while helpers are still needed, else the floor reached. */
function headline(p) {
  if (p.floorReached) return '已砍到底价 ' + money.format(p.currentPrice) + '（共' + p.helpersNeeded + '人帮砍）';
  return '还差' + p.helpersLeft + '人砍到底价（共需' + p.helpersNeeded + '人帮砍）';
}

/** 已砍¥X · 当前价¥Y */
function cutText(p) {
  return '已砍' + money.format(p.cut) + ' · 当前价' + money.format(p.currentPrice);
}

/** The progress bar's width in whole percent: helpers so far of N (integers only). */
function percent(p) {
  var n = p.helpersNeeded;
  if (!n) return 0;
  var helped = n - p.helpersLeft;
  return Math.floor((helped * 100) / n);
}

/** 剩余 hh:mm:ss while open and not past its end, else ''. */
function timeLeft(view, nowSecs) {
  var left = view.expiresAt - nowSecs;
  return (view.status === 'open' || view.status === 'floor') && left > 0 ? '剩余 ' + util.countdown(left) : '';
}

/** The helpers in the order they helped, each with the cut they made. */
function helpers(list) {
  return (list || []).map(function (h) {
    return {
      key: 'h' + h.seq,
      nickname: h.nickname,
      avatar: h.avatar,
      initial: (h.nickname || '').charAt(0) || '砍',
      cutText: '砍掉' + money.format(h.cut),
    };
  });
}

/** A helping refusal shown as the server words it (its Chinese message), by code. */
function refusal(err) {
  var code = (err && err.code) || 'ERROR';
  var message = (err && err.message) || '帮砍失败，请稍后再试';
  return { code: code, message: message };
}

/** The share card of a bargain: its path carries the bargain id. */
function shareCard(view, path) {
  return {
    title: '帮我砍一刀！' + view.productTitle + ' 最低' + money.format(view.floorPrice),
    path: path || '/pkg-activity/bargain/index?id=' + view.id,
    imageUrl: view.image,
  };
}

/** The poster's texts: the current price, the start price struck, 还差k人. */
function poster(view, token) {
  var p = view.progress;
  return {
    image: view.image,
    title: view.productTitle,
    priceText: money.format(p.currentPrice),
    listPriceText: money.format(view.startPrice),
    note: headline(p),
    token: token,
    sharer: view.initiator.nickname,
    invite: '邀你帮砍一刀',
  };
}

/** Buy a bargain at its current price: one line with bargainId through checkout. */
function toCheckout(view, specs) {
  store.buyNow = [{
    skuId: view.skuId,
    quantity: 1,
    bargainId: view.id,
    title: view.productTitle,
    specs: specs || '',
    image: view.image,
    price: view.progress.currentPrice,
  }];
  store.group = null;
  wx.navigateTo({ url: '/pkg-order/checkout/index?mode=buynow' });
}

module.exports = {
  STATUS: STATUS, headline: headline, cutText: cutText, percent: percent, timeLeft: timeLeft,
  helpers: helpers, refusal: refusal, shareCard: shareCard, poster: poster, toCheckout: toCheckout,
};
