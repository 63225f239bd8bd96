-- Revert mutations/create_project@1.0.0-rc.2
BEGIN;
DROP TABLE mutations_create_project_1_0_0_rc_2;
COMMIT;
