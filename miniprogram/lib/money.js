// Display of money. Every amount is an integer number of fen; this module only
// turns fen into text and never does arithmetic on yuan or floats.
'use strict';

function check(fen) {
  if (typeof fen !== 'number' || !Number.isSafeInteger(fen)) {
    throw new TypeError('money: expected integer fen, got ' + fen);
  }
}

/** 1230 → "12.30", -5 → "-0.05" */
function yuan(fen) {
  check(fen);
  var neg = fen < 0;
  var abs = neg ? -fen : fen;
  var whole = Math.floor(abs / 100); // exact: abs is a safe integer
  var cents = abs % 100;
  return (neg ? '-' : '') + whole + '.' + (cents < 10 ? '0' : '') + cents;
}

/** 1230 → "¥12.30" */
function format(fen) {
  check(fen);
  return fen < 0 ? '-¥' + yuan(-fen) : '¥' + yuan(fen);
}

/** 1200 → "¥12", 1230 → "¥12.30" (short labels: coupons, hints). */
function short(fen) {
  var s = format(fen);
  return s.slice(-3) === '.00' ? s.slice(0, -3) : s;
}

module.exports = { yuan: yuan, format: format, short: short };
