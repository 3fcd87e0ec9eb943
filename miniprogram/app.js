var pricing = require('./lib/pricing.js');
var track = require('./lib/track.js');

App({
  onLaunch: function () {
    // Warm the rules core so the cart's first quote is instant.
    pricing.init().catch(function (e) {
      console.error('rules core failed to load', e);
    });
  },
  // WeChat's entry scene and our `ch` parameter; events are sent on hide.
  onShow: function (options) {
    track.appShow(options);
  },
  onHide: function () {
    track.appHide();
  },
});
