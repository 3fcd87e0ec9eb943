// 秒杀 on the phone: the words of each phase the server computes with the core
// (GET /api/flash-sales/{id} → skus[].state.phase), and placing an order the
// server may answer 排队中 (429 FLASH_QUEUED with details.retryAfterMs) or not
// at all (a network failure: the order may exist, so the repeat carries
// X-Mall-Retry and the same idempotency key and the server answers from it).
'use strict';

var BUTTON = {
  selling: '立即抢购',
  queued: '排队中',
  soldOut: '已抢光',
  limitReached: '已达限购',
  notStarted: '即将开抢',
  ended: '已结束',
};

/** Most automatic repeats of one submit while the server says 排队中. */
var MAX_QUEUED_RETRIES = 5;

function buttonText(phase) { return BUTTON[phase] || '已结束'; }

/** The wait the server asked for, kept between 0.3 s and 5 s. */
function retryDelay(e) {
  var ms = e && e.details && Number(e.details.retryAfterMs);
  if (!ms || ms < 300) return 300;
  return Math.min(ms, 5000);
}

/**
 * Place with `send(header)` (header: null, or {'X-Mall-Retry': '1'} once an
 * answer was lost); `wait(ms)` sleeps; `onQueued(n)` is told of the n-th
 * repeat. Resolves with the order or rejects with the last refusal.
 */
function placeOrder(send, wait, onQueued) {
  var queued = 0;
  function attempt(retryMark) {
    return send(retryMark ? { 'X-Mall-Retry': '1' } : null).catch(function (e) {
      if (e && e.code === 'FLASH_QUEUED' && queued < MAX_QUEUED_RETRIES) {
        queued += 1;
        if (onQueued) onQueued(queued);
        return wait(retryDelay(e)).then(function () { return attempt(retryMark); });
      }
      if (e && e.code === 'NETWORK' && !retryMark) return attempt(true);
      throw e;
    });
  }
  return attempt(false);
}

function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

module.exports = { buttonText: buttonText, retryDelay: retryDelay, placeOrder: placeOrder, sleep: sleep, MAX_QUEUED_RETRIES: MAX_QUEUED_RETRIES };
