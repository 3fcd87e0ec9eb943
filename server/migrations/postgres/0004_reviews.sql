-- Product reviews: one per completed order line, by its buyer (seeded demo
-- reviews have no order). The product page shows a summary; the list is paged.
-- migrations/sqlite/0004_reviews.sql is the same schema in SQLite types.

CREATE TABLE reviews (
    id BIGSERIAL PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    order_id BIGINT REFERENCES orders (id),
    line_id TEXT,
    rating BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    content TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (order_id, line_id)
);
CREATE INDEX reviews_product ON reviews (product_id, created_at, id);
