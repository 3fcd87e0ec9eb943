// Shopper events for the console's funnel and dashboards (docs/metrics.md).
// track(name, props) queues an event with its own UUID (the server stores a
// retried UUID once); the queue is mirrored to storage so nothing is lost
// when the mini-program is killed, and flushed (POST /api/events, at most 50
// per request) at 20 events, every 5 s, and when the app hides. A session id
// rotates after 30 minutes without events; the visitor id stays in storage.
// Orders and payments are never reported from here: the server records them.
'use strict';
var api = require('./api.js');

var QUEUE_KEY = 'track_queue';
var VISITOR_KEY = 'track_visitor';
var SESSION_KEY = 'track_session';
var FLUSH_AT = 20;
var FLUSH_EVERY_MS = 5000;
var MAX_BATCH = 50;
var MAX_QUEUE = 500; // beyond this the oldest events are dropped
var SESSION_IDLE_MS = 30 * 60 * 1000;
var NAMES = ['app_show', 'page_view', 'product_view', 'add_to_cart', 'checkout_start', 'share', 'coupon_claim', 'search', 'rec_impression', 'rec_click'];

var queue = null;
var timer = null;
var sending = false;
// WeChat's scene and our `ch` of the last app_show, sent with every event.
var entry = { scene: null, ch: null };

function load(key, fallback) {
  try {
    var v = wx.getStorageSync(key);
    return v === '' || v === undefined || v === null ? fallback : v;
  } catch (e) { return fallback; }
}

function save(key, v) {
  try { wx.setStorageSync(key, v); } catch (e) { /* storage full: keep in memory */ }
}

function hex(n) {
  var s = '';
  for (var i = 0; i < n; i++) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}

/** A random (version 4) UUID. */
function uuid() {
  return hex(8) + '-' + hex(4) + '-4' + hex(3) + '-' + '89ab'[Math.floor(Math.random() * 4)] + hex(3) + '-' + hex(12);
}

function pending() {
  if (!queue) queue = load(QUEUE_KEY, []);
  return queue;
}

function visitorId() {
  var v = load(VISITOR_KEY, '');
  if (!v) { v = 'v' + hex(24); save(VISITOR_KEY, v); }
  return v;
}

/** The session id, a new one after 30 minutes without events. */
function sessionId(now) {
  var s = load(SESSION_KEY, null);
  if (!s || !s.id || now - s.last > SESSION_IDLE_MS) s = { id: 's' + hex(24), last: now };
  s.last = now;
  save(SESSION_KEY, s);
  return s.id;
}

function clean(props) {
  var out = {};
  Object.keys(props || {}).forEach(function (k) {
    var v = props[k];
    if (v !== undefined && v !== null && v !== '') out[k] = v;
  });
  return out;
}

/** Send what is queued, 50 at a time; a failed send keeps the events for later. */
function flush() {
  var q = pending();
  if (sending || q.length === 0) return Promise.resolve(0);
  sending = true;
  var batch = q.slice(0, MAX_BATCH);
  return api.post('/api/events', { events: batch }, { auth: 'optional' }).then(function () {
    queue = pending().slice(batch.length);
    save(QUEUE_KEY, queue);
    sending = false;
    return queue.length ? flush().then(function (n) { return n + batch.length; }) : batch.length;
  }, function (e) {
    sending = false;
    // Refused as invalid: these events can never be stored; drop them.
    if (e && e.status === 400) {
      queue = pending().slice(batch.length);
      save(QUEUE_KEY, queue);
    }
    return 0;
  });
}

function schedule() {
  if (timer) return;
  timer = setTimeout(function () {
    timer = null;
    flush();
  }, FLUSH_EVERY_MS);
  if (timer && timer.unref) timer.unref(); // Node (tests): never keeps the process alive
}

/** Queue one event; `props` may carry scene, ch, productId, skuId, qty, page, keyword. */
function track(name, props) {
  if (NAMES.indexOf(name) < 0) throw new Error('unknown event ' + name);
  var now = Date.now();
  var p = clean(props);
  if (name === 'app_show') {
    entry = { scene: p.scene == null ? null : Number(p.scene), ch: p.ch == null ? null : String(p.ch) };
  }
  if (p.scene == null && entry.scene != null) p.scene = entry.scene;
  if (p.ch == null && entry.ch) p.ch = entry.ch;
  var q = pending();
  q.push({ uuid: uuid(), name: name, ts: now, sessionId: sessionId(now), visitorId: visitorId(), props: p });
  if (q.length > MAX_QUEUE) q.splice(0, q.length - MAX_QUEUE);
  save(QUEUE_KEY, q);
  if (q.length >= FLUSH_AT) return flush();
  schedule();
  return Promise.resolve(0);
}

/** App.onShow: WeChat's scene and our `ch` query parameter (QR codes, shares). */
function appShow(options) {
  var o = options || {};
  var query = o.query || {};
  return track('app_show', { scene: o.scene, ch: query.ch, page: o.path });
}

/** App.onHide: send now. */
function appHide() {
  if (timer) { clearTimeout(timer); timer = null; }
  return flush();
}

module.exports = {
  track: track,
  appShow: appShow,
  appHide: appHide,
  flush: flush,
  uuid: uuid,
  SESSION_IDLE_MS: SESSION_IDLE_MS,
  FLUSH_AT: FLUSH_AT,
  FLUSH_EVERY_MS: FLUSH_EVERY_MS,
  // tests: forget the in-memory state (storage stays)
  _reset: function () { queue = null; sending = false; entry = { scene: null, ch: null }; if (timer) clearTimeout(timer); timer = null; },
};
