-- A refund that ends closed is undone (what its approval applied, recorded
-- here); a points debt when the buyer already spent returned points; the home
-- page's banners (the merchant's to change).
-- migrations/postgres/0003_refund_close_home.sql is the same schema in PostgreSQL types.

-- Stock was put back when the refund was approved (unshipped or returned goods).
ALTER TABLE after_sales ADD COLUMN restocked INTEGER NOT NULL DEFAULT 0;
-- JSON: what closing the refund undid, and what it could not (points short, coupons used elsewhere, stock gone).
ALTER TABLE after_sales ADD COLUMN reversal TEXT;
-- Points owed back after a closed refund, when the balance was short (never below zero).
ALTER TABLE users ADD COLUMN points_debt INTEGER NOT NULL DEFAULT 0;

CREATE TABLE banners (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    image TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    sort INTEGER NOT NULL DEFAULT 0
);
