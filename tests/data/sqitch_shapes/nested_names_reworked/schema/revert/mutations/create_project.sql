-- Revert mutations/create_project
BEGIN;
DROP TABLE mutations_create_project;
COMMIT;
