// 商品评价 display helpers: a review as the server sends it
// (server/src/db/reviews.rs ReviewView: nickname already masked) → the view.
'use strict';
var util = require('./util.js');

function stars(rating) {
  var n = Math.max(0, Math.min(5, rating | 0));
  return '★★★★★'.slice(0, n) + '☆☆☆☆☆'.slice(0, 5 - n);
}

function view(r) {
  return { id: r.id, nickname: r.nickname, rating: r.rating, stars: stars(r.rating), text: r.text || '此用户没有填写评价', dateText: util.date(r.createdAt) };
}

/** The product page's summary (null when the server sent none). */
function summary(s) {
  if (!s) return null;
  return { count: s.count, goodRate: s.goodRate || '', latest: (s.latest || []).slice(0, 2).map(view) };
}

module.exports = { stars: stars, view: view, summary: summary };
