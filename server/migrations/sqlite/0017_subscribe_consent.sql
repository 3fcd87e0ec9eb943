-- Subscription consent (订阅消息): WeChat sends a one-time subscription
-- message only after the user accepted its template in
-- wx.requestSubscribeMessage, once per acceptance. Each acceptance the
-- mini-program reports is one credit for (user, template); the outbox takes a
-- credit with one conditional UPDATE before sending and never sends without
-- one (status no_consent); a retryable failure gives it back; WeChat's 43101
-- (the user did not accept) clears the template's credits.
CREATE TABLE subscribe_credits (
    user_id INTEGER NOT NULL REFERENCES users (id),
    template_id TEXT NOT NULL,
    credits INTEGER NOT NULL DEFAULT 0 CHECK (credits >= 0),
    accepted INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, template_id)
);
