-- Verify session-created-at
SELECT id FROM session_created_at WHERE false;
