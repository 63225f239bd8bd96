-- Revert tables/project
BEGIN;
DROP TABLE tables_project;
COMMIT;
