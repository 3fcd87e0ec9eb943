-- The member campaign job reads, per member, the last paid order and the
-- paid orders within the frequency window (member_campaigns::members::page):
-- with this index both are a range in the index instead of a lookup in the
-- table for each of the member's orders.
-- migrations/postgres/0020_orders_user_paid.sql is the same schema.
-- (Numbered 0020: 0019 is taken by the recommendations on main.)

CREATE INDEX orders_user_paid ON orders (user_id, paid_at);
