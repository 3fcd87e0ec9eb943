-- Product reviews: one per completed order line, by its buyer (seeded demo
-- reviews have no order). The product page shows a summary; the list is paged.
-- migrations/postgres/0004_reviews.sql is the same schema in PostgreSQL types.

CREATE TABLE reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id INTEGER NOT NULL REFERENCES products (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    order_id INTEGER REFERENCES orders (id),
    line_id TEXT,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    content TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (order_id, line_id)
);
CREATE INDEX reviews_product ON reviews (product_id, created_at, id);
