-- Verify osc_users
SELECT id FROM osc_users WHERE false;
