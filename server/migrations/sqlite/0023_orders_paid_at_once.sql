-- orders_paid_at (paid_at) is the leading column of orders_paid_buyer
-- (paid_at, user_id, paid_amount), which answers every paid_at range the
-- dashboards ask; each order's insert and payment wrote both.
DROP INDEX orders_paid_at;
