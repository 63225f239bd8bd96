-- Revert osc_users
BEGIN;
DROP TABLE osc_users;
COMMIT;
