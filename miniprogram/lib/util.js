'use strict';

function pad(n) { return (n < 10 ? '0' : '') + n; }

/** Seconds left → "02:05:09" (hours may exceed 24). */
function countdown(seconds) {
  var s = Math.max(0, Math.floor(seconds));
  var days = Math.floor(s / 86400);
  if (days > 0) return days + '天' + countdown(s % 86400); // "29天23:59:56", not "719:59:56"
  return pad(Math.floor(s / 3600)) + ':' + pad(Math.floor((s % 3600) / 60)) + ':' + pad(s % 60);
}

/** Unix seconds → "2026-01-01 08:00" in the phone's time zone. */
function datetime(ts) {
  if (!ts) return '';
  var d = new Date(ts * 1000);
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes());
}

function date(ts) {
  return datetime(ts).slice(0, 10);
}

/** A client key for POST /api/orders idempotency (≤ 64 chars). */
function idempotencyKey() {
  return 'mp-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 12);
}

/** Great-circle distance in whole meters. */
function distanceMeters(a, b) {
  var R = 6371000;
  var rad = Math.PI / 180;
  var dLat = (b.latitude - a.latitude) * rad;
  var dLng = (b.longitude - a.longitude) * rad;
  var h = Math.sin(dLat / 2) * Math.sin(dLat / 2)
    + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLng / 2) * Math.sin(dLng / 2);
  return Math.round(2 * R * Math.asin(Math.sqrt(h)));
}

function query(params) {
  var parts = [];
  Object.keys(params).forEach(function (k) {
    if (params[k] === undefined || params[k] === null || params[k] === '') return;
    parts.push(k + '=' + encodeURIComponent(String(params[k])));
  });
  return parts.join('&');
}

/** wx.showModal as a promise of the choice (true: confirmed). */
function confirm(title, content, confirmText) {
  return new Promise(function (resolve) {
    wx.showModal({
      title: title, content: content, confirmText: confirmText || '确定',
      success: function (r) { resolve(!!r.confirm); }, fail: function () { resolve(false); },
    });
  });
}

module.exports = { confirm: confirm, countdown: countdown, datetime: datetime, date: date, idempotencyKey: idempotencyKey, distanceMeters: distanceMeters, query: query };
