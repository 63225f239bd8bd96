-- Deploy tables/project_001_add_status
BEGIN;
CREATE TABLE tables_project_001_add_status (id integer);
COMMIT;
