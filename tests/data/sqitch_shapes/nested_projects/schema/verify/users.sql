-- Verify users
SELECT id FROM users WHERE false;
