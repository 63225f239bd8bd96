-- Verify sessions-jsonb
SELECT id FROM sessions_jsonb WHERE false;
