-- The outbox is claimed before sending: a sender marks the rows it takes
-- `sending` under its claim token with a lease (next_attempt_at), so several
-- server instances never send one message twice; a claim whose sender died
-- is taken again when its lease ends.

ALTER TABLE outbox ADD COLUMN claim TEXT;
