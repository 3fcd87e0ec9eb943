// 订阅消息: WeChat sends a one-time subscription message only after the
// shopper accepted its template in wx.requestSubscribeMessage, which must run
// inside a tap. The login answer carries the shop's template ids for each
// moment (pay, afterSale, coupon, member), so ask(moment) calls
// wx.requestSubscribeMessage at once in the tap, then reports the answers
// (each accept is one message the shop may send: POST /api/subscriptions).
// It never rejects and never blocks what the tap does next.
'use strict';
var api = require('./api.js');

/**
 * Ask for the moment's templates (call it inside a tap). Resolves with the
 * server's answer ({moments, credits}) once the shopper answered, with
 * `accepted`: whether a credit is held for any template asked (see
 * accepted()); else null.
 */
function ask(moment) {
  var all = api.subscribeTemplates();
  var ids = all && all[moment];
  if (!ids || !ids.length || typeof wx.requestSubscribeMessage !== 'function') return Promise.resolve(null);
  return new Promise(function (resolve) {
    wx.requestSubscribeMessage({
      tmplIds: ids,
      success: function (res) {
        var results = {};
        ids.forEach(function (id) {
          if (typeof res[id] === 'string') results[id] = res[id];
        });
        if (!Object.keys(results).length) return resolve(null);
        api.post('/api/subscriptions', { results: results }).then(function (answer) {
          if (answer) answer.accepted = accepted(answer, ids);
          resolve(answer);
        }, function () { resolve(null); });
      },
      fail: function () { resolve(null); },
    });
  });
}

/** Whether the shopper accepted any of `ids` in this answer (a credit is held). */
function accepted(answer, ids) {
  if (!answer || !answer.credits) return false;
  return answer.credits.some(function (c) { return c.credits > 0 && ids.indexOf(c.templateId) >= 0; });
}

module.exports = { ask: ask, accepted: accepted };
