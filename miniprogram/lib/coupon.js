// Coupons on the phone: a coupon's face (¥10 满¥100可用, 9折, 免邮), a batch's
// validity, whether the core lets a wallet coupon be gifted (giftEligibility,
// the rule the server checks too: transferable batch, unused and not locked,
// not being gifted, not received as a gift, not expired), a wallet coupon as
// the lists show it, and the gift card's share card and landing.
'use strict';
var money = require('./money.js');
var util = require('./util.js');

/** {value, cond} of a coupon kind: "¥10" "满¥100可用", "9折" "无门槛，最高减¥30", "免邮". */
function face(k) {
  if (k.kind === 'threshold') return { value: money.short(k.amount), cond: '满' + money.short(k.threshold) + '可用' };
  if (k.kind === 'noThreshold') return { value: money.short(k.amount), cond: '无门槛' };
  if (k.kind === 'percent') {
    // "0.9" → 9折, "0.85" → 8.5折: text only, no arithmetic on the rate
    var r = String(k.rate).replace(/^0\./, '');
    var zhe = r.length === 1 ? r : r.charAt(0) + '.' + r.slice(1).replace(/0+$/, '');
    return { value: zhe.replace(/\.$/, '') + '折', cond: (k.threshold ? '满' + money.short(k.threshold) + '可用' : '无门槛') + (k.cap ? '，最高减' + money.short(k.cap) : '') };
  }
  return { value: '免邮', cond: k.threshold ? '满' + money.short(k.threshold) + '可用' : '无门槛' };
}

/** A batch's validity: 领取后N天内有效, or 有效期至 date. */
function batchValidity(b) {
  if (b.validDays) return '领取后' + b.validDays + '天内有效';
  return b.validUntil ? '有效期至' + util.date(b.validUntil) : '';
}

// The wallet's status as the core's GiftCouponState (an expired coupon is
// `available` past its validUntil: the core names it COUPON_EXPIRED).
var GIFT_STATE = { available: 'available', expired: 'available', used: 'used', gifting: 'gifting', gifted: 'gifted' };

/** The core's verdict on gifting wallet coupon `c` now: {ok, expiresAt} or {ok: false, code}. */
function giftCheck(core, c, now) {
  if (!core) return { ok: false, code: 'RULES_UNAVAILABLE' };
  try {
    var r = core.giftEligibility({
      couponId: String(c.id), state: GIFT_STATE[c.status] || 'used', transferable: !!c.transferable,
      receivedAsGift: !!c.received, validUntil: c.validUntil, now: now,
    });
    return { ok: true, expiresAt: r.expiresAt };
  } catch (e) {
    return { ok: false, code: e.code };
  }
}

var STATUS_TEXT = { available: '', gifting: '赠送中', gifted: '已赠送', used: '已使用', expired: '已过期' };

/** A wallet coupon as a list row; `core` (the rules, or null) decides 赠送好友. */
function walletItem(c, core, now) {
  var f = face(c.kind);
  return {
    id: c.id,
    title: c.title,
    value: f.value,
    cond: f.cond,
    until: util.date(c.validUntil),
    shop: c.shopId ? '店铺券' : '平台券',
    received: !!c.received,
    status: c.status,
    statusText: STATUS_TEXT[c.status] || '',
    giftable: giftCheck(core, c, now).ok,
    giftUntil: c.status === 'gifting' && c.giftExpiresAt ? util.datetime(c.giftExpiresAt) : '',
  };
}

/** The share card of an open gift: its path carries the gift token. */
function giftShare(title, token) {
  return { title: '送你一张优惠券：' + title + '，快来领取', path: '/pkg-activity/gift/index?token=' + token };
}

/** The gift token a page was opened with: ?token=… (a card) or ?scene=… (a 小程序码, encoded). */
function giftToken(q) {
  q = q || {};
  if (q.token) return String(q.token);
  return q.scene ? decodeURIComponent(q.scene) : '';
}

module.exports = {
  face: face, batchValidity: batchValidity, giftCheck: giftCheck, walletItem: walletItem,
  giftShare: giftShare, giftToken: giftToken, STATUS_TEXT: STATUS_TEXT,
};
