-- name: SetCurrentUser :exec
SELECT set_config('app.user_id', @user_id::text, true);
