// Sharing: where a shared card or a scanned 小程序码 lands (the page's id and
// the share token, from `?id=…&share=…` or from `scene`, which a 小程序码
// carries and the page must decodeURIComponent), and the share poster: its
// drawing as data (posterOps, tested) and the canvas work that paints it and
// saves it to the album (drawPoster).
'use strict';
var api = require('./api.js');
var config = require('../config.js');

/**
 * {id, share} for a page of `kind` ('product' | 'group' | 'bargain' | 'shop':
 * the home page, id 0) from its query. A code's scene is a share token: the
 * server says what it opens.
 */
function landing(q, kind) {
  q = q || {};
  if (q.scene) {
    var token = decodeURIComponent(q.scene);
    return api.get('/api/share/' + encodeURIComponent(token), { auth: 'none' }).then(function (s) {
      if (s.kind !== kind) throw api.ApiError('NOT_FOUND', '分享内容不存在', { kind: s.kind }, 404);
      bindPromoter(token);
      return { id: Number(s.target), share: token };
    });
  }
  bindPromoter(q.share);
  return Promise.resolve({ id: Number(q.id), share: q.share || '' });
}

/**
 * 分销: a page opened with a share token tells the server, which binds a new
 * shopper to the sharer if they are a promoter (first touch; the server
 * decides everything). Nothing shows and nothing waits for it.
 */
function bindPromoter(token) {
  if (!token) return Promise.resolve(null);
  return api.post('/api/distribution/bind', { share: String(token) }).catch(function () { return null; });
}

/** The image of a token's 小程序码 (made by WeChat once, served by the shop). */
function codeUrl(token) {
  return config.baseURL + '/api/share/' + encodeURIComponent(token) + '/code';
}

var WIDTH = 750;
var HEIGHT = 1100;

/** Splits text into at most `lines` lines of `perLine` characters, … at the cut. */
function wrap(text, perLine, lines) {
  var chars = Array.from(text || '');
  var out = [];
  for (var i = 0; i < lines && i * perLine < chars.length; i++) out.push(chars.slice(i * perLine, (i + 1) * perLine).join(''));
  if (chars.length > perLine * lines) out[lines - 1] = Array.from(out[lines - 1]).slice(0, perLine - 1).join('') + '…';
  return out;
}

/**
 * The poster as drawing operations on a 750 × 1100 canvas:
 * p = {image, heading, title, priceText, listPriceText, note, token, sharer, invite}
 * (no image: a red panel with `heading` on it; invite: what the sharer asks,
 * 邀你一起拼 unless given, shown alone when there is no sharer).
 */
function posterOps(p) {
  var ops = [{ op: 'rect', x: 0, y: 0, w: WIDTH, h: HEIGHT, color: '#ffffff' }];
  if (p.image) ops.push({ op: 'image', src: p.image, x: 40, y: 40, w: 670, h: 670 });
  else {
    ops.push({ op: 'rect', x: 40, y: 40, w: 670, h: 670, color: '#e93323' });
    wrap(p.heading, 11, 2).forEach(function (line, i) {
      ops.push({ op: 'text', text: line, x: 80, y: 340 + i * 72, size: 56, color: '#ffffff' });
    });
  }
  wrap(p.title, 18, 2).forEach(function (line, i) {
    ops.push({ op: 'text', text: line, x: 40, y: 770 + i * 44, size: 32, color: '#333333' });
  });
  if (p.priceText) ops.push({ op: 'text', text: p.priceText, x: 40, y: 910, size: 52, color: '#e93323' });
  if (p.listPriceText) ops.push({ op: 'text', text: p.listPriceText, x: 40, y: 960, size: 26, color: '#999999', strike: true });
  if (p.note) ops.push({ op: 'text', text: p.note, x: 40, y: 1010, size: 30, color: '#e93323' });
  if (p.sharer || p.invite) ops.push({ op: 'text', text: (p.sharer ? p.sharer + ' ' : '') + (p.invite || '邀你一起拼'), x: 40, y: 1060, size: 24, color: '#666666' });
  ops.push({ op: 'image', src: codeUrl(p.token), x: 520, y: 830, w: 190, h: 190 });
  ops.push({ op: 'text', text: '长按识别小程序码', x: 520, y: 1060, size: 22, color: '#999999' });
  return ops;
}

/**
 * Paints `ops` on the page's `<canvas type="2d" id="poster">` and saves the
 * result to the album. Resolves with the temp file path.
 */
function drawPoster(page, ops) {
  return new Promise(function (resolve, reject) {
    wx.createSelectorQuery().in(page).select('#poster').fields({ node: true, size: true }).exec(function (res) {
      var canvas = res && res[0] && res[0].node;
      if (!canvas) { reject(new Error('no poster canvas')); return; }
      canvas.width = WIDTH;
      canvas.height = HEIGHT;
      var ctx = canvas.getContext('2d');
      var images = ops.filter(function (o) { return o.op === 'image'; });
      var loaded = {};
      var pending = images.length;
      var paint = function () {
        ops.forEach(function (o) {
          if (o.op === 'rect') { ctx.fillStyle = o.color; ctx.fillRect(o.x, o.y, o.w, o.h); }
          if (o.op === 'image' && loaded[o.src]) ctx.drawImage(loaded[o.src], o.x, o.y, o.w, o.h);
          if (o.op === 'text') {
            ctx.fillStyle = o.color;
            ctx.font = o.size + 'px sans-serif';
            ctx.fillText(o.text, o.x, o.y);
            if (o.strike) ctx.fillRect(o.x, o.y - o.size / 3, ctx.measureText(o.text).width, 2);
          }
        });
        wx.canvasToTempFilePath({
          canvas: canvas,
          success: function (r) {
            wx.saveImageToPhotosAlbum({ filePath: r.tempFilePath, success: function () { resolve(r.tempFilePath); }, fail: reject });
          },
          fail: reject,
        });
      };
      if (!pending) { paint(); return; }
      images.forEach(function (o) {
        var img = canvas.createImage();
        img.onload = function () { loaded[o.src] = img; if (--pending === 0) paint(); };
        img.onerror = function () { if (--pending === 0) paint(); };
        img.src = o.src;
      });
    });
  });
}

/**
 * 生成海报 on a page with a `posterOpen` flag and a poster canvas: paints
 * `ops`, saves to the album and tells the shopper how it went.
 */
function savePoster(page, ops) {
  page.setData({ posterOpen: true });
  return drawPoster(page, ops).then(function () {
    wx.showToast({ title: '海报已保存到相册', icon: 'success' });
    page.setData({ posterOpen: false });
  }, function (e) {
    page.setData({ posterOpen: false });
    wx.showToast({ title: (e && e.errMsg && e.errMsg.indexOf('auth') >= 0) ? '请允许保存到相册' : '海报生成失败', icon: 'none' });
  });
}

module.exports = { landing: landing, bindPromoter: bindPromoter, codeUrl: codeUrl, wrap: wrap, posterOps: posterOps, drawPoster: drawPoster, savePoster: savePoster, WIDTH: WIDTH, HEIGHT: HEIGHT };
