-- The signed-in user's preferences: one JSON value per (user, key).
--
-- Row-level security is forced (the app's role owns the table, and owners
-- bypass RLS unless it is forced): a statement sees and writes only the rows
-- of the user named by app.user_id, which the app sets with
-- set_config('app.user_id', ..., true) inside each request's transaction.
-- Without the setting, current_setting(..., true) is NULL and no row matches.
CREATE TABLE user_preferences (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    VARCHAR(255) NOT NULL CHECK (user_id <> ''),
    key        VARCHAR(128) NOT NULL CHECK (key <> ''),
    value      JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX ix_user_preferences_user_id_key ON user_preferences (user_id, key);

ALTER TABLE user_preferences ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_preferences FORCE ROW LEVEL SECURITY;
CREATE POLICY user_preferences_own_rows ON user_preferences
    USING (user_id = current_setting('app.user_id', true))
    WITH CHECK (user_id = current_setting('app.user_id', true));

---- create above / drop below ----

DROP TABLE user_preferences;
