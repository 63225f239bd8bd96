-- Verify sessions
SELECT id FROM sessions WHERE false;
