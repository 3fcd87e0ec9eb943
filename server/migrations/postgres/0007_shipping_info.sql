-- 发货信息录入: every shipped, picked-up or delivered order is reported to
-- WeChat (/wxa/sec/order/upload_shipping_info) once, through this queue:
-- written in the shipping transaction, claimed and sent by a job with retries.
-- migrations/postgres/0007_shipping_info.sql is the same in PostgreSQL types.

CREATE TABLE shipping_uploads (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL UNIQUE REFERENCES orders (id),
    logistics_type BIGINT NOT NULL,
    express_company TEXT,
    tracking_no TEXT,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    claim TEXT,
    created_at BIGINT NOT NULL,
    uploaded_at BIGINT
);
CREATE INDEX shipping_uploads_due ON shipping_uploads (status, next_attempt_at);
