-- One row per invocation of a serving endpoint, kept for the user who made
-- it. Row-level security as on user_preferences (see 001).
CREATE TABLE model_inference_logs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       VARCHAR(255) NOT NULL CHECK (user_id <> ''),
    endpoint_name VARCHAR(255) NOT NULL,
    request       JSONB NOT NULL,
    response      JSONB,
    status        VARCHAR(16) NOT NULL CHECK (status IN ('success', 'error')),
    http_status   INTEGER,
    latency_ms    BIGINT NOT NULL CHECK (latency_ms >= 0),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The user's log, newest first, is the one way it is read.
CREATE INDEX ix_model_inference_logs_user_id ON model_inference_logs (user_id, created_at DESC, id DESC);

ALTER TABLE model_inference_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE model_inference_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY model_inference_logs_own_rows ON model_inference_logs
    USING (user_id = current_setting('app.user_id', true))
    WITH CHECK (user_id = current_setting('app.user_id', true));

---- create above / drop below ----

DROP TABLE model_inference_logs;
