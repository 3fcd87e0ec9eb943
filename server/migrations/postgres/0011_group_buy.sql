-- 拼团 group buys and share tokens (issue 13). A group's counters `held`
-- (seats taken by orders, paid or not) and `paid` are the truth the joiners
-- race for: a seat is taken with one conditional UPDATE (held < size, open,
-- not expired) and a member row unique per live (group, user); the CHECK keeps
-- paid <= held <= size whatever the code does. The rules (joinable or not,
-- what a group becomes at expiry) are the core's (core/src/group.rs).
-- migrations/sqlite/0011_group_buy.sql is the same schema in SQLite types.

ALTER TABLE activities ADD COLUMN group_window_secs BIGINT;
ALTER TABLE activities ADD COLUMN group_auto_percent BIGINT;
ALTER TABLE activities ADD COLUMN share_reward_template BIGINT;
ALTER TABLE activity_skus ADD COLUMN leader_price BIGINT CHECK (leader_price IS NULL OR leader_price >= 0);

CREATE TABLE buy_groups (
    id BIGSERIAL PRIMARY KEY,
    activity_id TEXT NOT NULL REFERENCES activities (id),
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    leader_id BIGINT NOT NULL REFERENCES users (id),
    size BIGINT NOT NULL,
    held BIGINT NOT NULL DEFAULT 1,
    paid BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    window_secs BIGINT NOT NULL,
    auto_percent BIGINT,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    opened_at BIGINT,
    closed_at BIGINT,
    updated_at BIGINT NOT NULL,
    CHECK (paid >= 0 AND paid <= held AND held <= size)
);
CREATE INDEX buy_groups_activity ON buy_groups (activity_id, sku_id, status, expires_at);
CREATE INDEX buy_groups_due ON buy_groups (status, expires_at);

CREATE TABLE group_members (
    id BIGSERIAL PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES buy_groups (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    order_id BIGINT NOT NULL UNIQUE REFERENCES orders (id),
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    -- who shared the group this member came through (a share token), if anyone
    shared_by BIGINT REFERENCES users (id),
    -- no paid order before this one
    new_user BIGINT NOT NULL DEFAULT 0,
    joined_at BIGINT NOT NULL,
    paid_at BIGINT
);
-- One live seat per shopper per group; a released seat frees the pair.
CREATE UNIQUE INDEX group_members_live ON group_members (group_id, user_id) WHERE status <> 'released';
CREATE INDEX group_members_group ON group_members (group_id, status);
CREATE INDEX group_members_user ON group_members (user_id, joined_at);

-- The sharer's reward for a formed group: at most one per (group, sharer).
CREATE TABLE share_rewards (
    group_id BIGINT NOT NULL REFERENCES buy_groups (id),
    sharer_id BIGINT NOT NULL REFERENCES users (id),
    coupon_id BIGINT,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, sharer_id)
);

-- A share token: what was shared (product, group, bargain, gift), by whom,
-- through which channel. ≤ 32 characters of WeChat's scene alphabet.
CREATE TABLE share_tokens (
    token TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    sharer_id BIGINT NOT NULL REFERENCES users (id),
    channel TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, target, sharer_id, channel)
);
