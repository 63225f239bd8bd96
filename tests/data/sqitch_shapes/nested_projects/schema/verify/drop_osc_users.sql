-- Verify drop_osc_users
SELECT id FROM drop_osc_users WHERE false;
