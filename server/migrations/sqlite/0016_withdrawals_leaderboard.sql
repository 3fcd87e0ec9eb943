-- 分销 payouts (商家转账, user-confirm mode) and the monthly leaderboard.

-- A promoter's withdrawable balance, one row: credited when commission
-- becomes available (and by cash rewards), debited by a withdrawal with one
-- conditional UPDATE (available >= amount, the Beijing day's total within the
-- cap), credited back once when a withdrawal fails, is cancelled, expires or
-- is rejected. day / day_total: the Beijing date and the sum withdrawn on it.
CREATE TABLE distribution_accounts (
    promoter_id INTEGER PRIMARY KEY REFERENCES users (id),
    available INTEGER NOT NULL DEFAULT 0,
    day TEXT NOT NULL DEFAULT '',
    day_total INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);
INSERT INTO distribution_accounts (promoter_id, available, updated_at)
SELECT CAST(promoter_id AS INTEGER), SUM(amount), 0 FROM commissions
WHERE status = 'available' GROUP BY promoter_id;

-- A withdrawal: REVIEWING (above the merchant's threshold) → CREATING (the
-- transfer bill not yet accepted by WeChat Pay) → WeChat's states
-- (ACCEPTED, PROCESSING, WAIT_USER_CONFIRM, TRANSFERING, CANCELING) → SUCCESS
-- | FAIL | CANCELLED | REJECTED (the merchant). The last three return the
-- amount to the balance, once (returned_at set by the same conditional update).
CREATE TABLE withdrawals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    promoter_id INTEGER NOT NULL REFERENCES users (id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    out_bill_no TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    day TEXT NOT NULL,
    transfer_bill_no TEXT,
    package_info TEXT,
    fail_reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    bill_created_at INTEGER,
    finished_at INTEGER,
    returned_at INTEGER
);
CREATE INDEX withdrawals_promoter ON withdrawals (promoter_id, id);
CREATE INDEX withdrawals_state ON withdrawals (state, updated_at);

-- Month-end leaderboard rewards: one row per (Beijing month, rank) and per
-- (month, promoter), inserted with ON CONFLICT DO NOTHING in the transaction
-- that grants the reward, so a month is rewarded once however often, and on
-- however many instances, the job runs.
CREATE TABLE leaderboard_rewards (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    month TEXT NOT NULL,
    rank INTEGER NOT NULL,
    promoter_id INTEGER NOT NULL REFERENCES users (id),
    sales INTEGER NOT NULL,
    cash INTEGER NOT NULL DEFAULT 0,
    coupon_id INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (month, rank),
    UNIQUE (month, promoter_id)
);
