var pricing = require('./lib/pricing.js');

App({
  onLaunch: function () {
    // Warm the rules core so the cart's first quote is instant.
    pricing.init().catch(function (e) {
      console.error('rules core failed to load', e);
    });
  },
});
