-- Four orders indexes hold only the rows their queries can find. Each
-- query they serve compares the column (pickup_code = $1, phone_tail = $1,
-- paid_at >= $1, paid_at IS NOT NULL), which implies it is not NULL on
-- PostgreSQL and SQLite alike, so the partial index still answers it. A
-- placed order has no pickup code, no paid_at (and a pickup order no phone
-- tail) until it is paid: its INSERT and the updates before its payment
-- (the prepay's, not HOT when the page is full) no longer write an entry in
-- each of them.
DROP INDEX orders_pickup_code;
CREATE UNIQUE INDEX orders_pickup_code ON orders (pickup_code) WHERE pickup_code IS NOT NULL;
DROP INDEX orders_phone_tail;
CREATE INDEX orders_phone_tail ON orders (phone_tail) WHERE phone_tail IS NOT NULL;
DROP INDEX orders_paid_buyer;
CREATE INDEX orders_paid_buyer ON orders (paid_at, user_id, paid_amount) WHERE paid_at IS NOT NULL;
DROP INDEX orders_user_paid;
CREATE INDEX orders_user_paid ON orders (user_id, paid_at) WHERE paid_at IS NOT NULL;
