-- Revert tables/project_001_add_status
BEGIN;
DROP TABLE tables_project_001_add_status;
COMMIT;
