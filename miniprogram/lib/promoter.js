// 推广中心 words and figures: the earnings by ledger state, a withdrawal's
// state as the promoter reads it, the amount typed in yuan read as fen, and
// the promoter's poster (drawn by lib/share.js).
'use strict';
var money = require('./money.js');

var WITHDRAWAL = {
  REVIEWING: '审核中',
  CREATING: '处理中',
  ACCEPTED: '处理中',
  PROCESSING: '处理中',
  WAIT_USER_CONFIRM: '待确认收款',
  TRANSFERING: '转账中',
  CANCELING: '撤销中',
  SUCCESS: '已到账',
  FAIL: '失败，已退回余额',
  CANCELLED: '已撤销，已退回余额',
  REJECTED: '未通过，已退回余额',
};

var COMMISSION = { PENDING: '待收货', FROZEN: '售后期', AVAILABLE: '可提现', WITHDRAWN: '已提现' };

function withdrawalText(state) { return WITHDRAWAL[state] || state; }
function commissionText(state) { return COMMISSION[state] || state; }

/** The five balances of GET /api/distribution/center, in the order shown. */
function earnings(e) {
  return [
    { key: 'available', label: '可提现', value: money.format(e.available) },
    { key: 'pending', label: '待收货', value: money.format(e.pending) },
    { key: 'frozen', label: '售后期', value: money.format(e.frozen) },
    { key: 'withdrawing', label: '提现中', value: money.format(e.withdrawing) },
    { key: 'withdrawn', label: '已提现', value: money.format(e.withdrawn) },
  ];
}

/** "12.34" → 1234 fen; null for anything that is not a positive amount with at most 2 decimals. */
function fenOf(text) {
  var t = String(text || '').trim();
  if (!/^\d{1,9}(\.\d{1,2})?$/.test(t)) return null;
  var parts = t.split('.');
  var fen = Number(parts[0]) * 100 + Number(((parts[1] || '') + '00').slice(0, 2));
  return fen > 0 ? fen : null;
}

/** `小明` → `小**`, `a` → `*`, '' → '' (as the server masks names). */
function mask(nickname) {
  var chars = Array.from(String(nickname || '').trim());
  if (!chars.length) return '';
  return chars.length > 1 ? chars[0] + '**' : '*';
}

var HEADLINE = '精选好物，扫码进店逛逛';

/**
 * The promoter's poster, for lib/share.js's posterOps: the shop's name on
 * the panel, a headline, the promoter's masked nickname with 邀请你 (邀请你
 * alone without a nickname) and the 小程序码 of their shop share token, whose
 * landing binds new shoppers to them.
 */
function poster(shopName, nickname, token) {
  return { heading: shopName, title: HEADLINE, sharer: mask(nickname), invite: '邀请你来逛逛', token: token };
}

module.exports = { withdrawalText: withdrawalText, commissionText: commissionText, earnings: earnings, fenOf: fenOf, mask: mask, poster: poster, HEADLINE: HEADLINE };
