-- Member segments and tags (issue 16). Segments (new, highFrequency, active,
-- atRisk, dormant) are the core's member_segment of each member, recomputed
-- by a job; a change is recorded once in the history (the row is changed with
-- a compare-and-set on the segment read, so two instances cannot both record
-- it). Tags are the merchant's own labels, usable as campaign audiences.
CREATE TABLE member_segments (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    segment TEXT NOT NULL,
    -- when the member entered this segment (the job's clock)
    since INTEGER NOT NULL,
    computed_at INTEGER NOT NULL
);
CREATE INDEX member_segments_segment ON member_segments (segment, user_id);

CREATE TABLE member_segment_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    segment TEXT NOT NULL,
    -- NULL: the first segment computed
    previous TEXT,
    at INTEGER NOT NULL
);
CREATE INDEX member_segment_history_user ON member_segment_history (user_id, id);

CREATE TABLE member_tags (
    user_id INTEGER NOT NULL REFERENCES users (id),
    tag TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, tag)
);
CREATE INDEX member_tags_tag ON member_tags (tag, user_id);

-- Jobs run once per window on however many instances: one conditional
-- UPDATE of claimed_at claims a run.
CREATE TABLE job_runs (
    name TEXT PRIMARY KEY,
    claimed_at INTEGER NOT NULL
);
INSERT INTO job_runs (name, claimed_at) VALUES ('member_segments', 0);

-- 优惠券到期提醒 under the campaign model: a coupon 24 hours from expiry
-- triggers the subscription message, once per coupon (the slot); on, as the
-- reminder was before; the merchant may set an audience, caps or a holdout.
INSERT INTO member_campaigns (id, title, enabled, trigger_spec, audience, caps, holdout_bps, updated_at) VALUES
  ('couponExpiry', '优惠券到期提醒', 1, '{"kind":"couponExpiry","hoursBefore":24}', '{}', '{}', 0, 0);

-- A campaign's home banner (JSON {"image", "url"}; NULL: none): the members it
-- reached see it first on the home page for the effect window after the send.
ALTER TABLE member_campaigns ADD COLUMN banner TEXT;

-- A coupon campaign may also send the subscription message 券已到账 with the
-- coupon (only with the member's consent, like every message).
ALTER TABLE member_campaigns ADD COLUMN notify INTEGER NOT NULL DEFAULT 0;
