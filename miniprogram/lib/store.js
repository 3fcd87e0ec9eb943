// In-memory hand-over between pages (e.g. 立即购买 → checkout).
module.exports = {
  // [{skuId, quantity, activityId, title, specs, image}] or null
  buyNow: null,
};
