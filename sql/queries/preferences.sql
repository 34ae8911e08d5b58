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
INSERT INTO user_preferences (user_id, key, value)
VALUES (@user_id, @key, @value)
ON CONFLICT (user_id, key) DO UPDATE
SET value = EXCLUDED.value, updated_at = now()
RETURNING key, value, created_at, updated_at;

-- name: DeletePreference :execrows
DELETE FROM user_preferences
WHERE user_id = @user_id AND key = @key;
