-- The console's live statistics read only indexes (server/console-bench.sh:
-- 100,000 orders, 1,000,000 events). The funnel sums the flags of the
-- sessions that began in a range; the trend counts distinct buyers per
-- bucket and the overview sums paid amounts over a range of paid_at. Without
-- these, each row in the range is a lookup in the table.
-- migrations/sqlite/0010_stats_indexes.sql is the same schema.

CREATE INDEX session_facts_funnel ON session_facts (first_ts, viewed_product, added_to_cart, reached_checkout, paid);
CREATE INDEX orders_paid_buyer ON orders (paid_at, user_id, paid_amount);
