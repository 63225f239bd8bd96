-- Revert create_roles
BEGIN;
DROP TABLE create_roles;
COMMIT;
