-- 秒杀 stock buckets. A flash sale with stock_buckets > 1 sets its units
-- aside from the SKU's stock when it is saved, split into that many rows per
-- SKU (the core's flash_buckets), so concurrent orders take different rows
-- instead of queueing on one activity_skus row and one skus row. An order
-- takes its units from one bucket (the core's flash_bucket_order from the
-- order id) and nothing from skus; an unpaid order's units go back to a
-- bucket while the sale has them, else to the SKU. When the sale ends (or is
-- edited) the rows are deleted and what they hold goes back to the SKU, with
-- the units they sold added to skus.sales: DELETE ... RETURNING makes that
-- happen once.
ALTER TABLE activities ADD COLUMN stock_buckets INTEGER NOT NULL DEFAULT 1 CHECK (stock_buckets BETWEEN 1 AND 64);
CREATE TABLE activity_stock_buckets (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    sku_id INTEGER NOT NULL REFERENCES skus (id),
    bucket INTEGER NOT NULL CHECK (bucket >= 0),
    stock INTEGER NOT NULL CHECK (stock >= 0),
    -- Units ordered from this row less those given back to it, not yet in
    -- skus.sales (may go below 0 when it takes back an order of the sale's
    -- earlier set-up).
    sold INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (activity_id, sku_id, bucket)
);
-- The units an activity has left per SKU: its buckets' sum while it has
-- buckets, else activity_skus.stock (NULL: no quota of its own); and the
-- units set aside for it (the buckets' sum, else 0), which bound the sale
-- together with the SKU's own stock.
CREATE VIEW activity_skus_left AS
SELECT x.activity_id, x.sku_id, x.price, x.leader_price,
       CAST(COALESCE(b.units, x.stock) AS BIGINT) AS stock,
       CAST(COALESCE(b.units, 0) AS BIGINT) AS set_aside
FROM activity_skus x
LEFT JOIN (SELECT activity_id, sku_id, SUM(stock) AS units FROM activity_stock_buckets
           GROUP BY activity_id, sku_id) b
       ON b.activity_id = x.activity_id AND b.sku_id = x.sku_id;

-- A flash sale's limit of one unit per shopper as a key: the order that
-- takes a shopper's unit inserts this row in its transaction, a second order
-- of the same shopper cannot; the row goes with the order's release.
CREATE TABLE flash_buyers (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    order_id INTEGER NOT NULL REFERENCES orders (id),
    PRIMARY KEY (activity_id, user_id)
);
CREATE INDEX flash_buyers_order ON flash_buyers (order_id);
