-- name: ListPreferences :many
SELECT key, value, created_at, updated_at
FROM user_preferences
WHERE user_id = @user_id
ORDER BY key
LIMIT @row_limit OFFSET @row_offset;

-- name: GetPreference :one
SELECT key, value, created_at, updated_at
FROM user_preferences
WHERE user_id = @user_id AND key = @key;

-- name: UpsertPreference :one
-- UpsertPreference creates the user's key or replaces its value. Its
-- updated_at is never before the row's previous one, so never moves back and
-- never precedes created_at: now() is when the writer's transaction began,
-- and a writer that began before another write of the key committed but
-- upserts after it (it lost the race to insert, or waited for the row's lock)
-- would otherwise set an earlier time. The row's updated_at, read once the
-- row is locked, is the latest committed; clock_timestamp() would be later
-- too, but only as long as the server's clock never steps back.
INSERT INTO user_preferences (user_id, key, value)
VALUES (@user_id, @key, @value)
ON CONFLICT (user_id, key) DO UPDATE
SET value = EXCLUDED.value, updated_at = GREATEST(now(), user_preferences.updated_at)
RETURNING key, value, created_at, updated_at;

-- name: DeletePreference :execrows
DELETE FROM user_preferences
WHERE user_id = @user_id AND key = @key;
