// An API or core error in the shopper's words: the registry's message for
// its code (lib/error-codes.js, generated from the server's registry), else
// the error's own message (network, login), else a generic one.
'use strict';
var registry = require('./error-codes.js');

function message(e) {
  var known = e && e.code && registry[e.code];
  if (known) return known.message;
  return (e && e.message) || '出错了，请稍后重试';
}

/** A toast with the message of `e`. */
function show(e) {
  wx.showToast({ title: message(e), icon: 'none', duration: 2500 });
}

module.exports = { message: message, show: show };
