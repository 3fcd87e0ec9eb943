-- Coupon center caps, coupon gifting (券转赠) and daily sign-in (签到).

-- A batch may be gifted between friends; an optional cap on claims per Beijing day.
ALTER TABLE coupon_templates ADD COLUMN transferable BIGINT NOT NULL DEFAULT 0;
ALTER TABLE coupon_templates ADD COLUMN per_day_limit BIGINT;

-- parent_id: the giver's coupon this one was received from (never re-giftable);
-- request_id: the claim's idempotency key; gift_*: the open or last gift card.
ALTER TABLE user_coupons ADD COLUMN parent_id BIGINT REFERENCES user_coupons (id);
ALTER TABLE user_coupons ADD COLUMN request_id TEXT;
ALTER TABLE user_coupons ADD COLUMN gift_token TEXT;
ALTER TABLE user_coupons ADD COLUMN gift_expires_at BIGINT;
ALTER TABLE user_coupons ADD COLUMN gifted_to BIGINT REFERENCES users (id);
CREATE UNIQUE INDEX user_coupons_request ON user_coupons (user_id, request_id);
CREATE UNIQUE INDEX user_coupons_gift_token ON user_coupons (gift_token);
CREATE UNIQUE INDEX user_coupons_parent ON user_coupons (parent_id);
CREATE INDEX user_coupons_gifting ON user_coupons (status, gift_expires_at);

-- Coupons of a batch a shopper holds (claimed or received), capped by per_user_limit.
CREATE TABLE coupon_user_quota (
    template_id BIGINT NOT NULL REFERENCES coupon_templates (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    n BIGINT NOT NULL,
    PRIMARY KEY (template_id, user_id)
);
INSERT INTO coupon_user_quota (template_id, user_id, n)
    SELECT template_id, user_id, COUNT(*) FROM user_coupons GROUP BY template_id, user_id;

-- Claims of a batch per Beijing day (day = the day's first unix second), capped by per_day_limit.
CREATE TABLE coupon_day_quota (
    template_id BIGINT NOT NULL REFERENCES coupon_templates (id),
    day BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (template_id, day)
);

-- Gift cards a shopper opened per Beijing day (day = the day's first unix second).
CREATE TABLE coupon_gift_quota (
    user_id BIGINT NOT NULL REFERENCES users (id),
    day BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- One sign-in per shopper and Beijing day (day number since 1970-01-01), with what it earned.
CREATE TABLE signins (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    day BIGINT NOT NULL,
    streak BIGINT NOT NULL,
    points BIGINT NOT NULL,
    growth BIGINT NOT NULL,
    bonus_day BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX signins_user_day ON signins (user_id, day);
