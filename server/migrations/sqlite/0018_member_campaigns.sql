-- Automated member campaigns (issue 16): audience + trigger + action + caps
-- + holdout, decided per member by the core (segments::campaign_decision).
-- The built-in ones start switched off, without a coupon; the merchant (or
-- the demo seed) picks the coupon and switches them on.
--   trigger: JSON {"kind": "weekly", "weekday": 1-7, "hour", "minute"}
--            (Beijing time; a slot runs within a day of its start) or
--            {"kind": "dormancy"} (checked on every run; a member's slot is
--            their last paid order, so once per dormancy).
CREATE TABLE member_campaigns (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 0,
    trigger_spec TEXT NOT NULL,
    audience TEXT NOT NULL,
    caps TEXT NOT NULL,
    holdout_bps INTEGER NOT NULL DEFAULT 0 CHECK (holdout_bps BETWEEN 0 AND 5000),
    coupon_template_id INTEGER REFERENCES coupon_templates (id),
    -- The last run that claimed the campaign (one conditional UPDATE: one
    -- instance runs it per RUN_EVERY window).
    last_run_at INTEGER,
    updated_at INTEGER NOT NULL
);
INSERT INTO member_campaigns (id, title, enabled, trigger_spec, audience, caps, holdout_bps, updated_at) VALUES
  ('memberDay', '周三会员日', 0, '{"kind":"weekly","weekday":3,"hour":0,"minute":0}', '{"minLevel":1}', '{"perWeek":2}', 1000, 0),
  ('dormantRecall', '7天未下单召回', 0, '{"kind":"dormancy"}', '{"noOrderDays":7,"segments":["active","atRisk","dormant"]}', '{"perWeek":2}', 1000, 0),
  ('newArrivals', '高频会员上新邀请', 0, '{"kind":"weekly","weekday":5,"hour":10,"minute":0}', '{"segments":["highFrequency"]}', '{"perWeek":2}', 1000, 0);

-- One row per (campaign, member, slot): the unique key makes a trigger act
-- once per member however many runs or instances reach it. decision: send
-- (coupon_id: the coupon granted; NULL when the template ran out) or holdout
-- (kept out to measure the effect).
CREATE TABLE member_campaign_sends (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id TEXT NOT NULL REFERENCES member_campaigns (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    slot INTEGER NOT NULL,
    decision TEXT NOT NULL,
    coupon_id INTEGER,
    at INTEGER NOT NULL,
    UNIQUE (campaign_id, user_id, slot)
);
CREATE INDEX member_campaign_sends_user ON member_campaign_sends (user_id, at);

-- Sends to a member per Beijing week across campaigns: the weekly cap is one
-- conditional UPDATE on this row.
CREATE TABLE member_campaign_weekly (
    user_id INTEGER NOT NULL REFERENCES users (id),
    week INTEGER NOT NULL,
    sends INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, week)
);
