-- The shop schema. Money is integer fen, times are unix seconds, flags are 0/1
-- integers, structured rule data is JSON text in mall-core's own shapes.
-- migrations/postgres/0001_schema.sql is the same schema in PostgreSQL types.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER REFERENCES categories (id),
    name TEXT NOT NULL,
    icon TEXT NOT NULL DEFAULT '',
    sort INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id TEXT NOT NULL DEFAULT 'self',
    category_id INTEGER NOT NULL REFERENCES categories (id),
    title TEXT NOT NULL,
    subtitle TEXT NOT NULL DEFAULT '',
    keywords TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    main_image TEXT NOT NULL,
    images TEXT NOT NULL DEFAULT '[]',
    spec_names TEXT NOT NULL DEFAULT '[]',
    on_shelf INTEGER NOT NULL DEFAULT 1,
    sales INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX products_category ON products (category_id);

CREATE TABLE skus (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id INTEGER NOT NULL REFERENCES products (id),
    specs TEXT NOT NULL DEFAULT '[]',
    image TEXT NOT NULL DEFAULT '',
    list_price INTEGER NOT NULL CHECK (list_price >= 0),
    stock INTEGER NOT NULL CHECK (stock >= 0),
    on_shelf INTEGER NOT NULL DEFAULT 1,
    min_quantity INTEGER NOT NULL DEFAULT 1,
    per_user_limit INTEGER,
    member_price INTEGER NOT NULL DEFAULT 1,
    weight_grams INTEGER NOT NULL DEFAULT 0,
    sales INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX skus_product ON skus (product_id);

-- Price-setting activities (flash sale, group buy, bargain); later issues add
-- groups, seats and bargain records next to these.
CREATE TABLE activities (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    per_user_limit INTEGER,
    allow_coupons INTEGER NOT NULL DEFAULT 0,
    allow_points INTEGER NOT NULL DEFAULT 0,
    group_size INTEGER
);
CREATE TABLE activity_skus (
    activity_id TEXT NOT NULL REFERENCES activities (id),
    sku_id INTEGER NOT NULL REFERENCES skus (id),
    price INTEGER NOT NULL CHECK (price >= 0),
    stock INTEGER CHECK (stock IS NULL OR stock >= 0),
    PRIMARY KEY (activity_id, sku_id)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    openid TEXT NOT NULL UNIQUE,
    unionid TEXT,
    nickname TEXT NOT NULL DEFAULT '',
    avatar TEXT NOT NULL DEFAULT '',
    phone_key_id TEXT,
    phone_enc BLOB,
    growth INTEGER NOT NULL DEFAULT 0,
    points INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Our own session tokens: only their SHA-256 is stored; WeChat's session_key
-- is kept encrypted and never leaves the server.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    key_id TEXT NOT NULL,
    session_key_enc BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE search_terms (
    keyword TEXT PRIMARY KEY,
    hits INTEGER NOT NULL DEFAULT 0,
    pinned INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE search_history (
    user_id INTEGER NOT NULL REFERENCES users (id),
    keyword TEXT NOT NULL,
    searched_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, keyword)
);

CREATE TABLE cart_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    sku_id INTEGER NOT NULL REFERENCES skus (id),
    activity_id TEXT NOT NULL DEFAULT '',
    quantity INTEGER NOT NULL,
    selected INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (user_id, sku_id, activity_id)
);

-- Receiver name, phone and address are one AES-256-GCM sealed JSON value.
CREATE TABLE addresses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    key_id TEXT NOT NULL,
    sealed BLOB NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX addresses_user ON addresses (user_id);

CREATE TABLE coupon_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    shop_id TEXT,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '{}',
    stackable INTEGER NOT NULL DEFAULT 1,
    with_campaigns INTEGER NOT NULL DEFAULT 1,
    valid_from INTEGER,
    valid_until INTEGER,
    valid_days INTEGER,
    total INTEGER NOT NULL,
    issued INTEGER NOT NULL DEFAULT 0,
    per_user_limit INTEGER NOT NULL DEFAULT 1,
    claimable INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    CHECK (issued <= total)
);
CREATE TABLE user_coupons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    template_id INTEGER NOT NULL REFERENCES coupon_templates (id),
    valid_from INTEGER NOT NULL,
    valid_until INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'available',
    order_id INTEGER,
    claimed_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX user_coupons_user ON user_coupons (user_id, status);

CREATE TABLE points_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    delta INTEGER NOT NULL,
    reason TEXT NOT NULL,
    order_id INTEGER,
    created_at INTEGER NOT NULL
);

-- An order keeps the core's Quote as charged and its OrderSnapshot (per-line
-- and per-unit allocations), the input of every later refund.
CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_no TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    status TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    goods_total INTEGER NOT NULL,
    discount_total INTEGER NOT NULL,
    shipping_fee INTEGER NOT NULL,
    points_used INTEGER NOT NULL,
    points_deduction INTEGER NOT NULL,
    payable INTEGER NOT NULL,
    reward_growth INTEGER NOT NULL,
    reward_points INTEGER NOT NULL,
    delivery TEXT NOT NULL,
    address_key_id TEXT,
    address_sealed BLOB,
    remark TEXT NOT NULL DEFAULT '',
    quote TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    paid_at INTEGER,
    shipped_at INTEGER,
    completed_at INTEGER,
    cancelled_at INTEGER,
    cancel_reason TEXT,
    updated_at INTEGER NOT NULL,
    UNIQUE (user_id, idempotency_key)
);
CREATE INDEX orders_user_status ON orders (user_id, status, id);
CREATE INDEX orders_expiry ON orders (status, expires_at);

CREATE TABLE order_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders (id),
    line_id TEXT NOT NULL,
    sku_id INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    specs TEXT NOT NULL,
    image TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    list_price INTEGER NOT NULL,
    unit_price INTEGER NOT NULL,
    price_source TEXT NOT NULL,
    activity_id TEXT,
    subtotal INTEGER NOT NULL,
    item_discount INTEGER NOT NULL,
    order_discount INTEGER NOT NULL,
    net INTEGER NOT NULL,
    points_deduction INTEGER NOT NULL,
    paid INTEGER NOT NULL,
    units TEXT NOT NULL,
    refunded_quantity INTEGER NOT NULL DEFAULT 0,
    UNIQUE (order_id, line_id)
);

CREATE TABLE order_allocations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders (id),
    kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    line_id TEXT NOT NULL,
    amount INTEGER NOT NULL
);
CREATE INDEX order_allocations_order ON order_allocations (order_id);

CREATE TABLE order_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id);
