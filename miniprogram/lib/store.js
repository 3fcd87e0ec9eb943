// In-memory hand-over between pages (e.g. 立即购买 → checkout).
module.exports = {
  // [{skuId, quantity, activityId, title, specs, image}] or null
  buyNow: null,
  // 拼团 with the buy-now line: {} opens a group, {groupId, shareToken?} joins one; null otherwise
  group: null,
};
