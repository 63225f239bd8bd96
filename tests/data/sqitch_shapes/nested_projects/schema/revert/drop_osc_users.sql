-- Revert drop_osc_users
BEGIN;
DROP TABLE drop_osc_users;
COMMIT;
