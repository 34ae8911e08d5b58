-- name: InsertInferenceLog :one
INSERT INTO model_inference_logs (user_id, endpoint_name, request, response, status, http_status, latency_ms)
VALUES (@user_id, @endpoint_name, @request, @response, @status, @http_status, @latency_ms)
RETURNING id, created_at;

-- name: ListInferenceLogs :many
SELECT id, endpoint_name, status, http_status, latency_ms, created_at
FROM model_inference_logs
WHERE user_id = @user_id
ORDER BY created_at DESC, id DESC
LIMIT @row_limit OFFSET @row_offset;
