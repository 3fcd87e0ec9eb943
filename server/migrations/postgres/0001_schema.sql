-- The shop schema. Money is integer fen, times are unix seconds, flags are 0/1
-- integers, structured rule data is JSON text in mall-core's own shapes.
-- migrations/sqlite/0001_schema.sql is the same schema in SQLite types.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE categories (
    id BIGSERIAL PRIMARY KEY,
    parent_id BIGINT REFERENCES categories (id),
    name TEXT NOT NULL,
    icon TEXT NOT NULL DEFAULT '',
    sort BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE products (
    id BIGSERIAL PRIMARY KEY,
    shop_id TEXT NOT NULL DEFAULT 'self',
    category_id BIGINT NOT NULL REFERENCES categories (id),
    title TEXT NOT NULL,
    subtitle TEXT NOT NULL DEFAULT '',
    keywords TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    main_image TEXT NOT NULL,
    images TEXT NOT NULL DEFAULT '[]',
    spec_names TEXT NOT NULL DEFAULT '[]',
    on_shelf BIGINT NOT NULL DEFAULT 1,
    sales BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX products_category ON products (category_id);

CREATE TABLE skus (
    id BIGSERIAL PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id),
    specs TEXT NOT NULL DEFAULT '[]',
    image TEXT NOT NULL DEFAULT '',
    list_price BIGINT NOT NULL CHECK (list_price >= 0),
    stock BIGINT NOT NULL CHECK (stock >= 0),
    on_shelf BIGINT NOT NULL DEFAULT 1,
    min_quantity BIGINT NOT NULL DEFAULT 1,
    per_user_limit BIGINT,
    member_price BIGINT NOT NULL DEFAULT 1,
    weight_grams BIGINT NOT NULL DEFAULT 0,
    sales BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX skus_product ON skus (product_id);

-- Price-setting activities (flash sale, group buy, bargain); later issues add
-- groups, seats and bargain records next to these.
CREATE TABLE activities (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    per_user_limit BIGINT,
    allow_coupons BIGINT NOT NULL DEFAULT 0,
    allow_points BIGINT NOT NULL DEFAULT 0,
    group_size BIGINT
);
CREATE TABLE activity_skus (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    price BIGINT NOT NULL CHECK (price >= 0),
    stock BIGINT CHECK (stock IS NULL OR stock >= 0),
    PRIMARY KEY (activity_id, sku_id)
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    openid TEXT NOT NULL UNIQUE,
    unionid TEXT,
    nickname TEXT NOT NULL DEFAULT '',
    avatar TEXT NOT NULL DEFAULT '',
    phone_key_id TEXT,
    phone_enc BYTEA,
    growth BIGINT NOT NULL DEFAULT 0,
    points BIGINT NOT NULL DEFAULT 0 CHECK (points >= 0),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Our own session tokens: only their SHA-256 is stored; WeChat's session_key
-- is kept encrypted and never leaves the server.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    key_id TEXT NOT NULL,
    session_key_enc BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE search_terms (
    keyword TEXT PRIMARY KEY,
    hits BIGINT NOT NULL DEFAULT 0,
    pinned BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE search_history (
    user_id BIGINT NOT NULL REFERENCES users (id),
    keyword TEXT NOT NULL,
    searched_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, keyword)
);

CREATE TABLE cart_items (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    activity_id TEXT NOT NULL DEFAULT '',
    quantity BIGINT NOT NULL,
    selected BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, sku_id, activity_id)
);

-- Receiver name, phone and address are one AES-256-GCM sealed JSON value.
CREATE TABLE addresses (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    key_id TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    is_default BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX addresses_user ON addresses (user_id);

CREATE TABLE coupon_templates (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    shop_id TEXT,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '{}',
    stackable BIGINT NOT NULL DEFAULT 1,
    with_campaigns BIGINT NOT NULL DEFAULT 1,
    valid_from BIGINT,
    valid_until BIGINT,
    valid_days BIGINT,
    total BIGINT NOT NULL,
    issued BIGINT NOT NULL DEFAULT 0,
    per_user_limit BIGINT NOT NULL DEFAULT 1,
    claimable BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    CHECK (issued <= total)
);
CREATE TABLE user_coupons (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    template_id BIGINT NOT NULL REFERENCES coupon_templates (id),
    valid_from BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'available',
    order_id BIGINT,
    claimed_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX user_coupons_user ON user_coupons (user_id, status);

CREATE TABLE points_ledger (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    delta BIGINT NOT NULL,
    reason TEXT NOT NULL,
    order_id BIGINT,
    created_at BIGINT NOT NULL
);

-- An order keeps the core's Quote as charged and its OrderSnapshot (per-line
-- and per-unit allocations), the input of every later refund.
CREATE TABLE orders (
    id BIGSERIAL PRIMARY KEY,
    order_no TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    goods_total BIGINT NOT NULL,
    discount_total BIGINT NOT NULL,
    shipping_fee BIGINT NOT NULL,
    points_used BIGINT NOT NULL,
    points_deduction BIGINT NOT NULL,
    payable BIGINT NOT NULL,
    reward_growth BIGINT NOT NULL,
    reward_points BIGINT NOT NULL,
    delivery TEXT NOT NULL,
    address_key_id TEXT,
    address_sealed BYTEA,
    remark TEXT NOT NULL DEFAULT '',
    quote TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    paid_at BIGINT,
    shipped_at BIGINT,
    completed_at BIGINT,
    cancelled_at BIGINT,
    cancel_reason TEXT,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, idempotency_key)
);
CREATE INDEX orders_user_status ON orders (user_id, status, id);
CREATE INDEX orders_expiry ON orders (status, expires_at);

CREATE TABLE order_lines (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    line_id TEXT NOT NULL,
    sku_id BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    specs TEXT NOT NULL,
    image TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    list_price BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    price_source TEXT NOT NULL,
    activity_id TEXT,
    subtotal BIGINT NOT NULL,
    item_discount BIGINT NOT NULL,
    order_discount BIGINT NOT NULL,
    net BIGINT NOT NULL,
    points_deduction BIGINT NOT NULL,
    paid BIGINT NOT NULL,
    units TEXT NOT NULL,
    refunded_quantity BIGINT NOT NULL DEFAULT 0,
    UNIQUE (order_id, line_id)
);

CREATE TABLE order_allocations (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    line_id TEXT NOT NULL,
    amount BIGINT NOT NULL
);
CREATE INDEX order_allocations_order ON order_allocations (order_id);

CREATE TABLE order_events (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id);
