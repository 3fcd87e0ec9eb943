-- Cancelled or expired orders that had a prepay are asked at WeChat Pay once
-- more by the reconciliation job (a payment may have raced the cancel); the
-- time of the answer that showed them unpaid is kept so each is asked once.
-- migrations/postgres/0005_pay_reconcile.sql is the same in PostgreSQL types.

ALTER TABLE orders ADD COLUMN pay_checked_at INTEGER;
